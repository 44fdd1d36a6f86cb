package core

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TLS handshake failures are the first thing a scanner, a misconfigured
// client or an attacker produces. Each is counted (metric
// rwarden_tls_handshake_failures_total by listener and reason) and logged
// at info with its reason; the log is rate-limited so that a flood of bad
// handshakes cannot flood the log: at most handshakeLogBurst lines per
// handshakeLogWindow, then one line saying how many were not logged.

const (
	handshakeLogWindow = time.Second
	handshakeLogBurst  = 5
)

// logLimiter allows a burst of log lines per window and counts the rest.
type logLimiter struct {
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

// allow reports whether a line may be logged now, and how many were
// suppressed since the last logged line (to be reported with it).
func (l *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.window) >= handshakeLogWindow {
		l.window, l.n = now, 0
	}
	if l.n >= handshakeLogBurst {
		l.suppressed++
		return false, 0
	}
	l.n++
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

func newHandshakeCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rwarden_tls_handshake_failures_total",
		Help: "TLS handshakes that failed, by listener and reason (timeout, eof, reset, bad_certificate, not_tls, protocol).",
	}, []string{"listener", "reason"})
}

// HandshakeFailed records a failed TLS handshake of a front end: counted,
// and logged at info with its reason (rate-limited).
func (c *Core) HandshakeFailed(peer Peer, err error) {
	reason := handshakeReason(err)
	c.metrics.handshakes.WithLabelValues(peer.Listener, reason).Inc()
	ok, suppressed := c.handshakeLog.allow(time.Now())
	if !ok {
		return
	}
	args := []any{"remote", peer.Remote, "listener", peer.Listener, "protocol", peer.Protocol, "reason", reason, "err", err}
	if suppressed > 0 {
		args = append(args, "not_logged_since_last", suppressed)
	}
	c.log.Info("TLS handshake failed", args...)
}

// handshakeReason classifies a handshake error into a small, fixed set of
// metric labels.
func handshakeReason(err error) string {
	var ne net.Error
	var rh tls.RecordHeaderError
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout(),
		strings.Contains(msg, "context deadline exceeded"):
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case strings.Contains(msg, "connection reset"):
		return "reset"
	case strings.Contains(msg, "certificate"):
		return "bad_certificate"
	case errors.As(err, &rh):
		return "not_tls"
	}
	return "protocol"
}
