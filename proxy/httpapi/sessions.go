package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
)

// session is an HTTP session: a core session, the user it belongs to, and
// its idle timer. Its id is the only handle a client has on it.
type session struct {
	id   string
	user string
	sess *core.Session

	plots plotStore

	mu    sync.Mutex
	timer *time.Timer
	busy  int // requests in progress; an idle timeout never fires during one
	gone  bool
}

// sessionTable holds the open HTTP sessions by id.
type sessionTable struct {
	mu   sync.Mutex
	m    map[string]*session
	node string // this node's name, the first part of every id
}

func newSessionTable(node string) *sessionTable {
	return &sessionTable{m: map[string]*session{}, node: node}
}

// newID is the node's name, a '.' and 256 random bits, URL-safe:
// unguessable, so that knowing an id is not a credential on its own (the
// user must match too); the node's name lets another node say where the
// session lives (nodes.go).
func (t *sessionTable) newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if t.node == "" {
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return t.node + "." + base64.RawURLEncoding.EncodeToString(b)
}

// add registers a new core session and starts its idle timer.
func (t *sessionTable) add(user string, cs *core.Session) *session {
	s := &session{id: t.newID(), user: user, sess: cs}
	s.mu.Lock()
	s.timer = time.AfterFunc(cs.IdleTimeout(), func() { t.expire(s) })
	s.mu.Unlock()
	t.mu.Lock()
	t.m[s.id] = s
	t.mu.Unlock()
	return s
}

// acquire finds the session id names for user and marks a request in
// progress (release ends it). Another user's session is as absent as an
// unknown one: a caller cannot tell them apart.
func (t *sessionTable) acquire(id, user string) *session {
	t.mu.Lock()
	s := t.m[id]
	t.mu.Unlock()
	if s == nil || subtle.ConstantTimeCompare([]byte(s.user), []byte(user)) != 1 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return nil
	}
	s.busy++
	s.timer.Stop()
	return s
}

// release ends a request on s and restarts its idle timer.
func (t *sessionTable) release(s *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy--
	if s.busy == 0 && !s.gone {
		s.timer.Reset(s.sess.IdleTimeout())
	}
}

// expire closes a session whose client sent nothing within its idle
// timeout (or whose lifetime ended).
func (t *sessionTable) expire(s *session) {
	s.mu.Lock()
	if s.busy > 0 || s.gone {
		s.mu.Unlock()
		return
	}
	s.gone = true
	s.mu.Unlock()
	t.remove(s)
	s.sess.CloseIdle()
}

// close ends s at its client's request.
func (t *sessionTable) close(s *session) {
	s.mu.Lock()
	already := s.gone
	s.gone = true
	s.timer.Stop()
	s.mu.Unlock()
	t.remove(s)
	if !already {
		s.sess.Close()
	}
}

func (t *sessionTable) remove(s *session) {
	t.mu.Lock()
	if t.m[s.id] == s {
		delete(t.m, s.id)
	}
	t.mu.Unlock()
}

// closeAll ends every session (server shutdown).
func (t *sessionTable) closeAll() {
	t.mu.Lock()
	all := make([]*session, 0, len(t.m))
	for _, s := range t.m {
		all = append(all, s)
	}
	t.mu.Unlock()
	for _, s := range all {
		t.close(s)
	}
}
