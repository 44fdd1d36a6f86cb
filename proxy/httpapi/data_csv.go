package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
)

// A CSV upload is not parsed in Go: the body streams into the session's
// scratch directory as it arrives and R's fixed reader in the worker makes
// the data frame (core.Session.LoadCSV). rwarden holds one 1 MiB piece at
// a time, so the bound is the user's data limit (limits.*.data) and the
// scratch quota rather than a count of cells; JSON tables keep the
// bounded in-Go path of table.go.

// putCSV serves a text/csv POST /v1/sessions/{id}/data/{name}.
func (s *Server) putCSV(w http.ResponseWriter, r *http.Request, sess *session, name string) {
	limit := min(sess.sess.Limits().Data, core.MaxData)
	if r.ContentLength > limit {
		bodyError(w, fmt.Errorf("%w: the body of %d bytes exceeds the data limit of %d bytes (limits.*.data)", errTooLarge, r.ContentLength, limit))
		return
	}
	// The body has read_timeout per started 16 MiB, as QAP1 payloads do.
	size := r.ContentLength
	if size < 0 {
		size = limit
	}
	rc := http.NewResponseController(w)
	if ci := infoOf(r); ci != nil {
		_ = rc.SetReadDeadline(time.Now().Add(ci.lim.readTimeout * time.Duration(1+size>>24)))
	}
	body := &csvHeaderReader{r: &utf8Reader{r: r.Body}}
	info, err := sess.sess.LoadCSV(r.Context(), name, body)
	if err == nil {
		_ = rc.SetReadDeadline(time.Time{})
	}
	switch {
	case err == nil:
	case errors.Is(err, core.ErrDataTooLarge):
		bodyError(w, fmt.Errorf("%w: the body exceeds the data limit of %d bytes (limits.*.data)", errTooLarge, limit))
		return
	case errors.Is(err, core.ErrFileQuota):
		bodyError(w, fmt.Errorf("%w: the table does not fit in the session's scratch disk quota", errTooLarge))
		return
	case errors.Is(err, errNotUTF8), errors.Is(err, errTable):
		writeError(w, http.StatusBadRequest, "bad_table", err.Error(), nil)
		return
	case errors.Is(err, core.ErrAuditUnavailable):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error(), nil)
		return
	case sess.sess.Lost() != nil:
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the data could not be assigned: "+err.Error(), nil)
		return
	default:
		// The body was cut short, or R could not read it as a table.
		writeError(w, http.StatusBadRequest, "bad_table", err.Error(), nil)
		return
	}
	res := dataResponse{Name: name, Rows: info.Rows, Columns: make([]columnInfo, len(info.Columns))}
	for i, c := range info.Columns {
		res.Columns[i] = columnInfo{Name: c.Name, Type: c.Type}
	}
	w.Header().Set("Location", "/v1/sessions/"+sess.id+"/data/"+name)
	writeJSON(w, http.StatusCreated, res)
}
