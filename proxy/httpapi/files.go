package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/rwarden/rwarden/proxy/core"
)

// maxFileBytes bounds an uploaded file's body before the scratch quota
// (the smaller of the two applies).
const maxFileBytes = 60 << 20

const fileNameRule = "file names are 1-128 letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'"

// fileSession authenticates a file request, checks its file name and
// acquires the caller's session (release it when done); nil when it has
// answered the request itself.
func (s *Server) fileSession(w http.ResponseWriter, r *http.Request) (*session, string) {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return nil, ""
	}
	name := r.PathValue("name")
	if !core.ValidFileName(name) {
		writeError(w, http.StatusBadRequest, "bad_name", fileNameRule, nil)
		return nil, ""
	}
	return s.lookup(w, r, id), name
}

// putFile serves PUT /v1/sessions/{id}/files/{name}: the body becomes the
// file name in the session's scratch directory (where the session's R code
// finds it, e.g. read.csv("name")).
func (s *Server) putFile(w http.ResponseWriter, r *http.Request) {
	sess, name := s.fileSession(w, r)
	if sess == nil {
		return
	}
	defer s.sessions.release(sess)
	body, err := readBody(w, r, maxFileBytes)
	if err != nil {
		bodyError(w, err)
		return
	}
	if err := sess.sess.PutFile(r.Context(), name, body); err != nil {
		fileError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/sessions/"+sess.id+"/files/"+name)
	writeJSON(w, http.StatusCreated, map[string]any{"name": name, "bytes": len(body)})
}

// getFile serves GET /v1/sessions/{id}/files/{name}.
func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	sess, name := s.fileSession(w, r)
	if sess == nil {
		return
	}
	defer s.sessions.release(sess)
	data, err := sess.sess.GetFile(r.Context(), name)
	if err != nil {
		fileError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

func fileError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, core.ErrNoFile):
		writeError(w, http.StatusNotFound, "not_found", "no such file in this session", nil)
	case errors.Is(err, core.ErrFileQuota):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
	case errors.Is(err, core.ErrFileName):
		writeError(w, http.StatusBadRequest, "bad_name", err.Error(), nil)
	case errors.Is(err, core.ErrAuditUnavailable):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error(), nil)
	default:
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the file could not be transferred: "+err.Error(), nil)
	}
}
