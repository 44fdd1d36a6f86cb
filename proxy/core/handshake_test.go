package core

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHandshakeReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), "timeout"},
		{context.DeadlineExceeded, "timeout"},
		{io.EOF, "eof"},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), "eof"},
		{errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), "reset"},
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), "bad_certificate"},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "not_tls"},
		{&net.OpError{Op: "remote error", Err: errors.New("tls: protocol version not supported")}, "protocol"},
	}
	for _, tc := range tests {
		t.Run(tc.want+"/"+tc.err.Error(), func(t *testing.T) {
			assert.Equal(t, tc.want, handshakeReason(tc.err))
		})
	}
}

// The handshake log allows a burst per window, then counts what it drops
// and reports the count with the next line it allows.
func TestHandshakeLogLimiter(t *testing.T) {
	var l logLimiter
	t0 := time.Unix(1000, 0)
	for i := range handshakeLogBurst {
		ok, n := l.allow(t0.Add(time.Duration(i) * time.Millisecond))
		assert.True(t, ok, "line %d of the burst", i)
		assert.Zero(t, n)
	}
	for range 100 {
		ok, _ := l.allow(t0.Add(500 * time.Millisecond))
		assert.False(t, ok)
	}
	ok, n := l.allow(t0.Add(handshakeLogWindow))
	assert.True(t, ok, "a new window")
	assert.Equal(t, 100, n, "the dropped lines are reported")
}
