package transport

import (
	"io"
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
	addrKey  string // its source address as the per-address limit counts it
	// rd and remote are set by acceptProxy on a proxy_protocol listener,
	// before the front end runs: what is read after the PROXY header (or
	// the header check), and the client's address the header named.
	rd     io.Reader
	remote net.Addr
	mu     sync.Mutex
	busy   bool
}

// Read reads the client's bytes (after a PROXY protocol header).
func (c *Conn) Read(b []byte) (int, error) {
	if c.rd != nil {
		return c.rd.Read(b)
	}
	return c.Conn.Read(b)
}

// RemoteAddr is the client's address: on a proxy_protocol listener the
// one a load balancer's PROXY header named.
func (c *Conn) RemoteAddr() net.Addr {
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
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

// Tracker keeps the open connections of a server, for graceful shutdown,
// and enforces the connection limits (connlimit.go).
type Tracker struct {
	mu          sync.Mutex
	conns       map[*Conn]struct{}
	limits      ConnLimits
	perAddress  map[string]int
	perListener map[*Listener]int
	wg          sync.WaitGroup
}

// NewTracker returns an empty tracker without limits.
func NewTracker() *Tracker { return NewLimitedTracker(ConnLimits{}) }

// NewLimitedTracker returns an empty tracker that refuses connections over
// lim (and over each listener's max_connections).
func NewLimitedTracker(lim ConnLimits) *Tracker {
	return &Tracker{conns: map[*Conn]struct{}{}, limits: lim,
		perAddress: map[string]int{}, perListener: map[*Listener]int{}}
}

// track admits and records c, or returns why it is refused (then c is
// not tracked and the caller closes it).
func (t *Tracker) track(c net.Conn, l *Listener) (*Conn, *Refused) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key, refused := t.admit(c, l)
	if refused != nil {
		return nil, refused
	}
	tc := &Conn{Conn: c, listener: l, addrKey: key}
	t.conns[tc] = struct{}{}
	t.wg.Add(1)
	return tc, nil
}

func (t *Tracker) untrack(tc *Conn) {
	tc.Close()
	t.mu.Lock()
	delete(t.conns, tc)
	t.release(tc)
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
