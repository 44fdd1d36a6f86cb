package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// endpoint is one route of the API (docs/openapi.yaml lists the same).
type endpoint struct {
	method, path string
	handle       http.HandlerFunc
}

func (s *Server) endpoints() []endpoint {
	return []endpoint{
		{"POST", "/v1/eval", s.oneShot},
		{"POST", "/v1/sessions", s.openSession},
		{"POST", "/v1/sessions/{id}/eval", s.sessionEval},
		{"DELETE", "/v1/sessions/{id}", s.closeSession},
		{"GET", "/v1/sessions/{id}/plots/{file}", s.getPlot},
		{"PUT", "/v1/sessions/{id}/files/{name}", s.putFile},
		{"GET", "/v1/sessions/{id}/files/{name}", s.getFile},
		{"POST", "/v1/sessions/{id}/data/{name}", s.putData},
		{"GET", "/v1/sessions/{id}/data/{name}", s.getData},
		{"GET", "/v1/audit", s.getAudit},
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	for _, e := range s.endpoints() {
		mux.HandleFunc(e.method+" "+e.path, refuseCrossSite(e.method, e.handle))
	}
	s.ocpuRoutes(mux)
	s.consoleRoutes(mux)
	return liftReadDeadline(noChallenge(mux))
}

// refuseCrossSite refuses a request that changes state (anything but GET)
// when a browser sent it from another site: a browser that holds a user's
// Basic credentials or client certificate would otherwise let any web page
// open sessions or run code as that user with a form or a fetch without
// CORS (an empty POST needs no content type). Clients that are not
// browsers send neither header and are not affected; /mcp checks Origin
// against its own allow list.
func refuseCrossSite(method string, h http.HandlerFunc) http.HandlerFunc {
	if method == http.MethodGet || method == http.MethodHead {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if err := sameOrigin(r); err != nil {
			writeError(w, http.StatusForbidden, "cross_site", err.Error(), nil)
			return
		}
		h(w, r)
	}
}

// liftReadDeadline lifts the read deadline at once for requests without a
// body (GET, DELETE, an empty POST): there is nothing more to read, and
// the server's background read of the idle connection must not hit the
// deadline while the answer is worked on (it would cancel the request).
// It also closes the connection after a chunked request (see below).
func liftReadDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 {
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		}
		if slices.Contains(r.TransferEncoding, "chunked") {
			// net/http drops a Content-Length sent along with chunked
			// coding, so such a request (a smuggling attempt when a front
			// proxy trusts the length) cannot be told apart here. RFC 9112
			// section 6.1: close the connection after answering it, so
			// nothing that followed the chunks is read as a request.
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// oneShot evaluates in a session of its own, closed when the answer is
// complete.
func (s *Server) oneShot(w http.ResponseWriter, r *http.Request) {
	id, ci, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	req, ok := s.evalBody(w, r, ci)
	if !ok {
		return
	}
	cs, ok := s.open(w, r, id, ci)
	if !ok {
		return
	}
	defer cs.Close()
	s.evaluate(w, r, cs, nil, req)
}

// sessionResponse describes an open session.
type sessionResponse struct {
	ID string `json:"id"`
	// Expires is when the session's lifetime ends, whatever its use.
	Expires time.Time `json:"expires"`
	// IdleTimeoutS is how long the session waits for its next request.
	IdleTimeoutS float64 `json:"idle_timeout_s"`
}

func (s *Server) openSession(w http.ResponseWriter, r *http.Request) {
	id, ci, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	// The body is optional and, when sent, an empty JSON object.
	if r.ContentLength != 0 {
		var empty struct{}
		if err := readJSON(w, r, jsonOverhead, &empty); err != nil {
			bodyError(w, err)
			return
		}
	}
	cs, ok := s.open(w, r, id, ci)
	if !ok {
		return
	}
	sess := s.sessions.add(id.User, cs)
	w.Header().Set("Location", "/v1/sessions/"+sess.id)
	writeJSON(w, http.StatusCreated, sessionResponse{ID: sess.id, Expires: cs.Expires().UTC(),
		IdleTimeoutS: cs.Limits().Idle.Seconds()})
}

func (s *Server) sessionEval(w http.ResponseWriter, r *http.Request) {
	id, ci, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	req, ok := s.evalBody(w, r, ci)
	if !ok {
		return
	}
	sess := s.lookup(w, r, id)
	if sess == nil {
		return
	}
	defer s.sessions.release(sess)
	s.evaluate(w, r, sess.sess, sess, req)
}

func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	sess := s.lookup(w, r, id)
	if sess == nil {
		return
	}
	s.sessions.release(sess)
	s.sessions.close(sess)
	w.WriteHeader(http.StatusNoContent)
}

// lookup finds the session of the path's id for the authenticated user,
// or answers 404.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, id core.Identity) *session {
	sess := s.sessions.acquire(r.PathValue("id"), id.User)
	if sess == nil {
		msg, wrongNode := s.SessionMissing(r.PathValue("id"))
		if wrongNode {
			// 421: this node cannot answer for that session.
			writeError(w, http.StatusMisdirectedRequest, "wrong_node", msg, nil)
		} else {
			writeError(w, http.StatusNotFound, "not_found", msg, nil)
		}
	}
	return sess
}

// open starts a core session, answering 429 at the user's session limit.
func (s *Server) open(w http.ResponseWriter, r *http.Request, id core.Identity, ci *connInfo) (*core.Session, bool) {
	cs, err := s.core.OpenSession(r.Context(), id, ci.peer)
	switch {
	case err == nil:
		return cs, true
	case errors.Is(err, core.ErrTooManySessions):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "too_many_sessions", err.Error(), nil)
	case errors.Is(err, core.ErrAuditUnavailable):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error(), nil)
	default:
		s.log.Error("opening a session failed", "user", id.User, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the session could not be opened", nil)
	}
	return nil, false
}

// evalBody reads an evaluation request, bounded by the listener's
// max_code_bytes.
func (s *Server) evalBody(w http.ResponseWriter, r *http.Request, ci *connInfo) (*evalRequest, bool) {
	var req evalRequest
	if err := readJSON(w, r, ci.lim.maxCode+jsonOverhead, &req); err != nil {
		bodyError(w, err)
		return nil, false
	}
	if int64(len(req.Code)) > ci.lim.maxCode {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the code is %d bytes, above the limit of %d", len(req.Code), ci.lim.maxCode), nil)
		return nil, false
	}
	return &req, true
}

// evaluate runs req in cs and answers with JSON, or with events when the
// client asked for text/event-stream.
// sess is nil for a one-shot evaluation.
func (s *Server) evaluate(w http.ResponseWriter, r *http.Request, cs *core.Session, sess *session, req *evalRequest) {
	wantValue := req.Value == nil || *req.Value
	// The answer may take as long as the evaluation's wall-clock limit; the
	// write deadline is that, plus the time to send the answer.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(cs.Limits().Wall + transport.AnswerTimeout))
	if wantsEvents(r) {
		s.evaluateStream(w, r, cs, sess, req, wantValue)
		return
	}
	out := cs.Evaluate(r.Context(), []byte(req.Code), core.EvalOptions{WantValue: wantValue, Plots: true})
	status, res := answer(out, sess, wantValue)
	writeJSON(w, status, res)
}

// answer renders an outcome, with its plots kept in the session (URLs) or
// inline (one-shot).
func answer(out *core.Outcome, sess *session, wantValue bool) (int, *evalResult) {
	status, res := result(out, wantValue)
	var plots []core.Plot
	if out.Result != nil {
		plots = out.Result.Plots
	}
	if sess != nil {
		res.Session = sess.id
		res.Plots = sessionPlotRefs(sess, plots)
	} else {
		res.Plots = inlinePlotRefs(plots)
	}
	if res.Plots == nil {
		res.Plots = []plotRef{}
	}
	return status, res
}
