package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// Protocol is the front end's name in listeners and audit records.
const Protocol = "http"

// Server is the HTTP front end of one core: its routes and its table of
// open sessions, shared by every HTTP listener of the server.
type Server struct {
	core     *core.Core
	log      *slog.Logger
	sessions *sessionTable
	ocpu     *ocpuStore
	mux      *http.ServeMux
	handler  http.Handler
}

// NewServer returns the HTTP front end of c.
func NewServer(c *core.Core) *Server {
	s := &Server{core: c, log: c.Logger(), sessions: newSessionTable(c.Node()), ocpu: newOcpuStore()}
	s.handler = s.routes()
	return s
}

// Handler is the API's handler. Requests must carry the connection's
// description in their context (Serve does that); tests may use it
// through Serve only.
func (s *Server) Handler() http.Handler { return s.handler }

// CloseSessions ends every open HTTP session (server shutdown).
func (s *Server) CloseSessions() { s.sessions.closeAll() }

// idleTimeout is how long a keep-alive connection may wait for its next
// request.
const idleTimeout = 60 * time.Second

// maxHeaderBytes bounds a request's header block.
const maxHeaderBytes = 64 << 10

type connKey struct{}

// connInfo is what every request of a connection shares: who is at the
// other end, through which listener, and the connection to mark busy.
type connInfo struct {
	peer core.Peer
	tc   *transport.Conn
	lim  listenerLimits
	auth *connAuth
}

// listenerLimits are the listener settings a request is bounded by.
type listenerLimits struct {
	maxCode     int64
	readTimeout time.Duration
}

// Serve serves one accepted connection with HTTP/1.1 until the client
// closes it, it stays idle past idleTimeout, or ctx ends. The TLS
// handshake must finish within the listener's read_timeout.
func (s *Server) Serve(ctx context.Context, tc *transport.Conn) {
	l := tc.Listener()
	lim := listenerLimits{maxCode: int64(l.Config.MaxCodeBytes), readTimeout: l.Config.ReadTimeout.Std()}
	deadline := time.Now().Add(lim.readTimeout)
	if err := tc.SetDeadline(deadline); err != nil {
		return
	}
	var conn net.Conn = tc
	if l.TLS != nil {
		t := tls.Server(tc, l.TLS)
		hctx, cancel := context.WithDeadline(ctx, deadline)
		err := t.HandshakeContext(hctx)
		cancel()
		if err != nil {
			s.log.Debug("TLS handshake failed", "remote", tc.RemoteAddr().String(), "err", err)
			return
		}
		conn = t
	}
	_ = tc.SetDeadline(time.Time{}) // from here the http.Server's timeouts apply
	info := &connInfo{peer: transport.PeerOf(conn, l, Protocol), tc: tc, lim: lim, auth: newConnAuth()}
	one := newOneConnListener(conn)
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: lim.readTimeout,
		// The whole request, body included, within read_timeout. Handlers
		// lift the deadline once the body is read (liftReadDeadline,
		// readJSON, readBody): an expired read deadline while the answer
		// is still being worked on would cancel the request.
		ReadTimeout:    lim.readTimeout,
		IdleTimeout:    idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:    func(net.Listener) context.Context { return ctx },
		ConnContext: func(c context.Context, _ net.Conn) context.Context {
			return context.WithValue(c, connKey{}, info)
		},
		ConnState: func(_ net.Conn, st http.ConnState) {
			// Shutdown closes idle connections at once; a request in
			// progress gets the grace period.
			tc.SetBusy(st == http.StateActive)
		},
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	err := hs.Serve(one)
	if err != nil && !errors.Is(err, errListenerDone) {
		s.log.Debug("HTTP connection ended", "remote", info.peer.Remote, "err", err)
	}
}

func infoOf(r *http.Request) *connInfo {
	ci, _ := r.Context().Value(connKey{}).(*connInfo)
	return ci
}

// errListenerDone ends http.Server.Serve once its one connection closed.
var errListenerDone = errors.New("connection closed")

// oneConnListener hands its connection to http.Server once, then blocks
// Accept until that connection is closed: Serve returns when the
// connection's life ends, so the transport's accept goroutine (which
// tracks the connection) ends with it.
type oneConnListener struct {
	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
	addr net.Addr
}

func newOneConnListener(c net.Conn) *oneConnListener {
	l := &oneConnListener{done: make(chan struct{}), addr: c.LocalAddr()}
	l.conn = &notifyConn{Conn: c, done: l.done}
	return l
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.done
	return nil, errListenerDone
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.addr }

// notifyConn closes done when the connection is closed.
type notifyConn struct {
	net.Conn
	once sync.Once
	done chan struct{}
}

func (c *notifyConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { close(c.done) })
	return err
}
