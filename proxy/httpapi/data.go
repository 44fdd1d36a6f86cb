package httpapi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// maxDataBytes bounds an uploaded JSON table's body (CSV: data_csv.go).
const maxDataBytes = 32 << 20

// dataResponse describes a table that became a data frame.
type dataResponse struct {
	Name    string       `json:"name"`
	Rows    int          `json:"rows"`
	Columns []columnInfo `json:"columns"`
}

type columnInfo struct {
	Name string `json:"name"`
	Type string `json:"type"` // R's typeof()
}

// putData serves POST /v1/sessions/{id}/data/{name}: a JSON table (see
// table.go) or a CSV table (data_csv.go) becomes the data frame `name` in
// the session.
func (s *Server) putData(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if !validName(name) {
		writeError(w, http.StatusBadRequest, "bad_name", "data names are R names: a letter, then letters, digits, '.' or '_', at most 64 bytes", nil)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "text/csv" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json or text/csv", nil)
		return
	}
	sess := s.lookup(w, r, id)
	if sess == nil {
		return
	}
	defer s.sessions.release(sess)
	if mt == "text/csv" {
		s.putCSV(w, r, sess, name) // streamed to the worker (data_csv.go)
		return
	}
	parse := parseJSONTable
	body, err := readBody(w, r, maxDataBytes)
	if err != nil {
		bodyError(w, err)
		return
	}
	cols, err := parse(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_table", err.Error(), nil)
		return
	}
	df := dataFrame(cols)
	ser, err := rdata.Serialize(df)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_table", err.Error(), nil)
		return
	}
	if err := sess.sess.Assign(r.Context(), name, ser); err != nil {
		switch {
		case errors.Is(err, core.ErrAuditUnavailable):
			writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error(), nil)
		default:
			writeError(w, http.StatusServiceUnavailable, "unavailable", "the data could not be assigned: "+err.Error(), nil)
		}
		return
	}
	res := dataResponse{Name: name, Columns: make([]columnInfo, len(df.Elems))}
	if len(cols) > 0 {
		res.Rows = len(cols[0].cells)
	}
	for i, c := range df.Elems {
		res.Columns[i] = columnInfo{Name: cols[i].name, Type: c.Type.String()}
	}
	w.Header().Set("Location", "/v1/sessions/"+sess.id+"/data/"+name)
	writeJSON(w, http.StatusCreated, res)
}

// readBody reads a body of at most max bytes within the listener's read
// timeout, then lifts the read deadline (only on success, see readJSON).
func readBody(w http.ResponseWriter, r *http.Request, max int64) (_ []byte, err error) {
	defer func() {
		if err == nil {
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		}
	}()
	if r.ContentLength > max {
		return nil, fmt.Errorf("%w: the body of %d bytes is above the limit of %d", errTooLarge, r.ContentLength, max)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("%w: the body is above the limit of %d bytes", errTooLarge, max)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	return b, nil
}

// getData serves GET /v1/sessions/{id}/data/{name}?format=json|csv|rds:
// the value of `name`, fetched by evaluating the name itself in the
// session (policy-checked and audited like any evaluation).
func (s *Server) getData(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if !validName(name) {
		writeError(w, http.StatusBadRequest, "bad_name", "data names are R names: a letter, then letters, digits, '.' or '_', at most 64 bytes", nil)
		return
	}
	if !slices.Contains([]string{"json", "csv", "rds"}, format) {
		writeError(w, http.StatusBadRequest, "bad_format", "format is json, csv or rds", nil)
		return
	}
	sess := s.lookup(w, r, id)
	if sess == nil {
		return
	}
	defer s.sessions.release(sess)
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(sess.sess.Limits().Wall + time.Minute))
	out := sess.sess.Evaluate(r.Context(), []byte(name), core.EvalOptions{WantValue: true, Quiet: true})
	if !out.OK() || out.Result.Value == nil {
		status, res := result(out, false)
		if out.Result != nil && out.Result.Status == core.StatusError {
			status, res.Status = http.StatusNotFound, "not_found"
		}
		res.Session = sess.id
		res.Plots = []plotRef{}
		writeJSON(w, status, res)
		return
	}
	ser := out.Result.Value
	switch format {
	case "rds":
		// serialize(x, NULL, version = 2) is what saveRDS(x, compress =
		// FALSE) writes: readRDS() reads it as it is.
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.rds"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(ser)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(ser)
	case "json":
		j, err := valueJSON(ser)
		if err != nil {
			writeError(w, http.StatusNotAcceptable, "not_convertible", err.Error(), nil)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(append(j, '\n'))
	case "csv":
		b, err := valueCSV(ser)
		if err != nil {
			writeError(w, http.StatusNotAcceptable, "not_convertible", err.Error(), nil)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	}
}

// valueCSV renders a serialized data frame as CSV: a header of column
// names, NA as NA (as write.csv(row.names = FALSE) writes it).
func valueCSV(serialized []byte) ([]byte, error) {
	v, err := rdata.Unserialize(serialized, rdata.Limits{})
	if err != nil {
		return nil, fmt.Errorf("decoding the value: %w", err)
	}
	if v.Type != rdata.VECSXP || !slices.Contains(v.Class(), "data.frame") {
		return nil, fmt.Errorf("%w: only a data frame has a CSV form", errNotJSON)
	}
	nm := names(v)
	if nm == nil && len(v.Elems) > 0 {
		return nil, fmt.Errorf("%w: a data frame without column names", errNotJSON)
	}
	rows := -1
	for _, col := range v.Elems {
		if !isAtomic(col.Type) || col.Type == rdata.RAWSXP || col.GetAttr("dim") != nil {
			return nil, fmt.Errorf("%w: a data frame with a column of type %s", errNotJSON, col.Type)
		}
		if rows >= 0 && col.Len() != rows {
			return nil, fmt.Errorf("%w: columns of different lengths", errNotJSON)
		}
		rows = col.Len()
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	header := make([]string, len(nm))
	for i, n := range nm {
		header[i], _ = n.UTF8()
	}
	_ = cw.Write(header)
	for r := range max(rows, 0) {
		rec := make([]string, len(v.Elems))
		for c, col := range v.Elems {
			rec[c] = csvCell(col, r)
		}
		_ = cw.Write(rec)
		if buf.Len() > maxJSONBytes {
			return nil, fmt.Errorf("%w: larger than %d bytes as CSV", errNotJSON, maxJSONBytes)
		}
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}

// csvCell is one cell as CSV text, through the JSON rendering of the cell
// (factor labels, dates, NA) without its quotes.
func csvCell(col *rdata.Value, i int) string {
	if isNA(col, i) {
		return "NA"
	}
	j := &jsonWriter{}
	cellWriter(col)(j, i)
	s := j.b.String()
	if s == "null" {
		return "NA"
	}
	if len(s) > 0 && s[0] == '"' {
		var u string
		if err := strictJSON([]byte(s), &u); err == nil {
			return u
		}
	}
	if s == "true" || s == "false" {
		return map[string]string{"true": "TRUE", "false": "FALSE"}[s]
	}
	return s
}
