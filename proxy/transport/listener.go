package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
)

// Listener is one configured listener, open: its settings, its socket and,
// unless plaintext, its TLS configuration and certificate reloader.
type Listener struct {
	Config config.ListenerConfig
	// TLS is nil on a plaintext listener.
	TLS *tls.Config
	// Reloader swaps the certificate on Reload; nil without TLS.
	Reloader *CertReloader
	ln       net.Listener
	proxy    *proxyPolicy // nil: no PROXY protocol
}

// Open opens the listener lc describes (TLS files loaded, socket bound).
func Open(ctx context.Context, lc config.ListenerConfig) (*Listener, error) {
	l := &Listener{Config: lc, proxy: newProxyPolicy(lc.ProxyProtocol)}
	if lc.TLS.Enabled() {
		var err error
		if l.TLS, l.Reloader, err = NewTLSConfig(lc.TLS); err != nil {
			return nil, fmt.Errorf("listener %s: %w", lc.Address, err)
		}
	}
	ln, err := Listen(ctx, lc.Address, lc.Plaintext, lc.UnixMode.Perm())
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Address, err)
	}
	l.ln = ln
	return l, nil
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting.
func (l *Listener) Close() error { return l.ln.Close() }

// Secure reports whether a password may travel on a plaintext start of
// this listener's connections: only on loopback and unix listeners (TLS
// connections are secure once their handshake is done).
func (l *Listener) Secure() bool { return config.IsLoopbackOrUnix(l.Config.Address) }

// Accept runs the accept loop until the listener is closed: every
// connection is tracked by t and served by handle on its own goroutine;
// a panic in handle costs that connection only. A connection over a limit
// of t is handed to refuse (nil: closed) on the accept loop itself, which
// must answer it without blocking; it is closed afterwards. On a
// proxy_protocol listener a connection refused for its PROXY header is
// handed to refuse too, on its own goroutine.
func (l *Listener) Accept(t *Tracker, log *slog.Logger, handle func(*Conn), refuse func(net.Conn, *Refused)) {
	var backoff time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			log.Warn("accept failed", "listener", l.Config.Address, "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		tc, refused := t.track(c, l)
		if refused != nil {
			if refuse != nil {
				refuse(c, refused)
			}
			c.Close()
			continue
		}
		go func() {
			defer t.untrack(tc)
			defer func() {
				if r := recover(); r != nil {
					// A bug must cost one connection, never the server.
					log.Error("connection handler panicked", "remote", tc.RemoteAddr().String(), "panic", r)
				}
			}()
			if l.proxy != nil {
				// Refusals go to refuse (counted, logged rate-limited):
				// anyone can send a header, so they must not flood the log.
				if err := tc.acceptProxy(l.proxy, refuse); err != nil {
					log.Debug("PROXY protocol header refused", "listener", l.Config.Address, "remote", tc.Conn.RemoteAddr().String(), "err", err)
					return
				}
			}
			handle(tc)
		}()
	}
}
