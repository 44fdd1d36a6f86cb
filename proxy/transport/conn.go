package transport

import (
	"net"
	"sync"
	"time"
)

// Conn is an accepted client connection. Its front end marks it busy while
// it evaluates: shutdown closes idle connections at once and gives busy ones
// the grace period.
type Conn struct {
	net.Conn
	listener *Listener
	mu       sync.Mutex
	busy     bool
}

// Listener is the listener that accepted the connection.
func (c *Conn) Listener() *Listener { return c.listener }

// NetConn returns the wrapped connection (for peer credentials).
func (c *Conn) NetConn() net.Conn { return c.Conn }

// SetBusy marks the connection as evaluating (true) or waiting for a
// request (false).
func (c *Conn) SetBusy(b bool) {
	c.mu.Lock()
	c.busy = b
	c.mu.Unlock()
}

// Tracker keeps the open connections of a server, for graceful shutdown.
type Tracker struct {
	mu    sync.Mutex
	conns map[*Conn]struct{}
	wg    sync.WaitGroup
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{conns: map[*Conn]struct{}{}} }

func (t *Tracker) track(c net.Conn, l *Listener) *Conn {
	tc := &Conn{Conn: c, listener: l}
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.wg.Add(1)
	t.mu.Unlock()
	return tc
}

func (t *Tracker) untrack(tc *Conn) {
	tc.Close()
	t.mu.Lock()
	delete(t.conns, tc)
	t.mu.Unlock()
	t.wg.Done()
}

// CloseIdle closes every connection that is not evaluating.
func (t *Tracker) CloseIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for tc := range t.conns {
		tc.mu.Lock()
		if !tc.busy {
			tc.Conn.Close()
		}
		tc.mu.Unlock()
	}
}

// CloseAll closes every connection.
func (t *Tracker) CloseAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for tc := range t.conns {
		tc.Conn.Close()
	}
}

// Done is closed once every tracked connection has ended.
func (t *Tracker) Done() <-chan struct{} {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	return done
}

// AnswerTimeout bounds writing an answer (of up to 1 MiB; front ends add
// time for larger ones): a client that stops reading cannot hold a
// connection, and its goroutine, forever.
const AnswerTimeout = 30 * time.Second
