package mcpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/httpapi"
)

// ticketHeader carries, from the HTTP handler to the tool handlers (which
// the SDK gives the request's headers, not its context), a one-request
// ticket naming the authenticated caller. A client-sent value is removed
// before the ticket is set, and the ticket is forgotten when the HTTP
// request ends: it is never a credential a client can hold.
const ticketHeader = "X-Rwarden-Mcp-Ticket"

// caller is who sent a request: the authenticated identity and the
// connection it came on.
type caller struct {
	id   core.Identity
	peer core.Peer
	r    *http.Request
}

// tickets maps live tickets to their callers.
type tickets struct {
	mu sync.Mutex
	m  map[string]*caller
}

func (t *tickets) issue(c *caller) (string, func()) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	k := base64.RawURLEncoding.EncodeToString(b)
	t.mu.Lock()
	t.m[k] = c
	t.mu.Unlock()
	return k, func() {
		t.mu.Lock()
		delete(t.m, k)
		t.mu.Unlock()
	}
}

func (t *tickets) lookup(h http.Header) *caller {
	k := h.Get(ticketHeader)
	if k == "" {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[k]
}

// owners binds MCP session ids (Mcp-Session-Id) to the user who opened
// them. Entries older than the SDK's session timeout are dropped.
type owners struct {
	mu  sync.Mutex
	m   map[string]owner
	ttl time.Duration
}

type owner struct {
	user string
	seen time.Time
}

// maxSessionsPerUser bounds the MCP sessions one user holds at once: each
// costs the SDK's session state and an entry here until its timeout, so
// without a bound one authenticated client could grow both without limit
// by initializing over and over.
const maxSessionsPerUser = 64

// count is the number of live sessions of user (expired ones dropped).
func (o *owners) count(user string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sweepLocked(time.Now())
	n := 0
	for _, v := range o.m {
		if v.user == user {
			n++
		}
	}
	return n
}

// sweepLocked drops the entries older than the SDK's session timeout.
func (o *owners) sweepLocked(now time.Time) {
	for k, v := range o.m {
		if now.Sub(v.seen) > o.ttl {
			delete(o.m, k)
		}
	}
}

// remove forgets a session its client ended (HTTP DELETE).
func (o *owners) remove(sid string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, sid)
}

func (o *owners) set(sid, user string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	o.sweepLocked(now)
	o.m[sid] = owner{user: user, seen: now}
}

// check reports whether sid is a session of user. Every session the SDK
// hands out passes through ServeHTTP and is recorded here, so an id not
// recorded (unknown, or forgotten after the timeout) is refused too, as
// the SDK would: fail closed rather than let the SDK find a session this
// table no longer knows the owner of. other reports an id that belongs to
// another user.
func (o *owners) check(sid, user string) (ok, other bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, known := o.m[sid]
	if !known {
		return false, false
	}
	if v.user != user {
		return false, true
	}
	v.seen = time.Now()
	o.m[sid] = v
	return true, false
}

// sessionHeader is the streamable HTTP transport's session header.
const sessionHeader = "Mcp-Session-Id"

// ServeHTTP guards the SDK's handler: Origin, authentication, the MCP
// session's owner, then the ticket for the tool handlers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	peer, _ := httpapi.Peer(r)
	if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin) {
		s.refuse(r.Context(), peer, nil, "bad origin: "+clipString(origin, 200))
		http.Error(w, "forbidden: Origin "+clipString(origin, 200)+" is not allowed", http.StatusForbidden)
		return
	}
	if r.Header.Get("Authorization") == "" && !core.HasTransportIdentity(peer) {
		// httpapi answers 401 without an audit record when no credentials
		// came at all; an MCP client that tries is recorded.
		s.refuse(r.Context(), peer, nil, "no credentials")
	}
	id, peer, ok := s.http.Authenticate(w, r)
	if !ok {
		return
	}
	if sid := r.Header.Get(sessionHeader); sid != "" && s.handlerFor(r) == s.sessions {
		if ok, other := s.owners.check(sid, id.User); !ok {
			if other {
				s.refuse(r.Context(), peer, &id, "MCP session of another user")
			}
			// 404 tells an MCP client to start a new session; the text
			// says whether the session lives on another node.
			msg, _ := s.http.SessionMissing(sid)
			http.Error(w, "MCP "+msg, http.StatusNotFound)
			return
		}
	}
	if r.Method == http.MethodPost && r.Header.Get(sessionHeader) == "" && s.owners.count(id.User) >= maxSessionsPerUser {
		s.refuse(r.Context(), peer, &id, "too many MCP sessions")
		http.Error(w, fmt.Sprintf("too many MCP sessions: at most %d at once per user; end one (HTTP DELETE with its %s) or wait for it to time out",
			maxSessionsPerUser, sessionHeader), http.StatusTooManyRequests)
		return
	}
	if r.Method == http.MethodPost {
		// The whole message within the listener's read_timeout (the HTTP
		// server's ReadTimeout), bounded before it is read; then the read
		// deadline is lifted: the answer may take as long as the
		// evaluation's own limits allow.
		max := httpapi.MaxCodeBytes(r) + maxBody
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			http.Error(w, fmt.Sprintf("the request body is above the limit of %d bytes", max), http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "the request body could not be read", http.StatusBadRequest)
			return
		}
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	} else {
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	}
	r.Header.Del(ticketHeader)
	k, done := s.tickets.issue(&caller{id: id, peer: peer, r: r})
	defer done()
	r.Header.Set(ticketHeader, k)
	rec := &ownerRecorder{ResponseWriter: w, s: s, user: id.User}
	s.handlerFor(r).ServeHTTP(rec, r)
	if sid := r.Header.Get(sessionHeader); r.Method == http.MethodDelete && sid != "" && rec.code < 300 {
		s.owners.remove(sid) // checked above: the caller's own session
	}
}

// ownerRecorder binds the session id the SDK hands out (on initialize) to
// the user who asked for it.
type ownerRecorder struct {
	http.ResponseWriter
	s    *Server
	user string
	done bool
	code int
}

func (o *ownerRecorder) WriteHeader(code int) {
	if !o.done {
		o.done, o.code = true, code
		if sid := o.Header().Get(sessionHeader); sid != "" {
			o.s.owners.set(sid, o.user)
		}
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *ownerRecorder) Write(b []byte) (int, error) {
	if !o.done {
		o.WriteHeader(http.StatusOK)
	}
	return o.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines).
func (o *ownerRecorder) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// Flush sends what is buffered (the SDK streams events).
func (o *ownerRecorder) Flush() {
	if !o.done {
		o.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(o.ResponseWriter).Flush()
}

// originAllowed: only an Origin in the configured allow list passes.
// Non-browser clients send none; a browser page elsewhere must not reach
// the server with the user's cached credentials or through DNS rebinding.
func (s *Server) originAllowed(origin string) bool {
	return slices.Contains(s.origins, normalizeOrigin(origin))
}

// normalizeOrigin is the form origins are compared in: lower case, no
// trailing slash.
func normalizeOrigin(o string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
}

func (s *Server) refuse(ctx context.Context, peer core.Peer, id *core.Identity, reason string) {
	_ = s.core.Refuse(ctx, core.Refusal{Peer: peer, Identity: id, What: "mcp", Reason: reason})
}

func clipString(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// maxCodeOf is the max_code_bytes of the listener c came in on.
func maxCodeOf(c *caller) int64 { return httpapi.MaxCodeBytes(c.r) }
