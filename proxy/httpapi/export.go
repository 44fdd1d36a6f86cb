package httpapi

import (
	"net/http"

	"github.com/rwarden/rwarden/proxy/core"
)

// What other front ends mounted on this listener (the MCP server,
// proxy/mcpapi) share with the HTTP API: its authentication, its table of
// sessions and its rendering of outcomes, so that a request to them is
// authenticated, bounded and answered exactly as one to /v1.

// Mount serves h at pattern (an http.ServeMux pattern) on every HTTP
// listener of s, next to the API. It must be called before serving.
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Authenticate is the API's authentication (authenticate): who sent r,
// and the peer it came from. When it fails it has answered the request
// itself (401, 429 or 503) and ok is false.
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request) (id core.Identity, peer core.Peer, ok bool) {
	id, ci, ok := s.authenticate(w, r)
	if !ok {
		return core.Identity{}, core.Peer{}, false
	}
	return id, ci.peer, true
}

// Peer is the description of the connection r came in on; ok is false
// outside Serve.
func Peer(r *http.Request) (core.Peer, bool) {
	ci := infoOf(r)
	if ci == nil {
		return core.Peer{}, false
	}
	return ci.peer, true
}

// MaxCodeBytes is the max_code_bytes of the listener r came in on (0
// outside Serve).
func MaxCodeBytes(r *http.Request) int64 {
	if ci := infoOf(r); ci != nil {
		return ci.lim.maxCode
	}
	return 0
}

// AddSession registers an open core session for user, with its idle
// timer, and returns its id (the same ids as POST /v1/sessions).
func (s *Server) AddSession(user string, cs *core.Session) string {
	return s.sessions.add(user, cs).id
}

// AcquireSession finds the session id for user and marks a request in
// progress on it until release is called. Another user's session is as
// absent as an unknown one.
func (s *Server) AcquireSession(id, user string) (cs *core.Session, release func(), ok bool) {
	sess := s.sessions.acquire(id, user)
	if sess == nil {
		return nil, nil, false
	}
	return sess.sess, func() { s.sessions.release(sess) }, true
}

// CloseSession closes the session id of user, as DELETE /v1/sessions/{id};
// false when user has no such session.
func (s *Server) CloseSession(id, user string) bool {
	sess := s.sessions.acquire(id, user)
	if sess == nil {
		return false
	}
	s.sessions.release(sess)
	s.sessions.close(sess)
	return true
}

// Result is an evaluation's answer as the API renders it (docs/http.md).
type Result = evalResult

// Violation is one reason of a denial in a Result.
type Violation = violation

// Render renders an outcome as the API does, without plots (the caller
// has them in out.Result.Plots).
func Render(out *core.Outcome, wantValue bool) *Result {
	_, res := result(out, wantValue)
	return res
}
