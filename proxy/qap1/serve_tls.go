package qap1

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// A QAP1 listener with TLS speaks it both ways Rserve clients use:
// RSclient's RS.connect(tls = TRUE) starts the TLS handshake at once, as on
// Rserve's qap.tls.port; clients of a plaintext Rserve port with
// switch.qap.tls read the identification string first, see "TLS" in it and
// send CMD_switch. A TLS client speaks first (its ClientHello), a QAP1
// client never does, so the listener waits briefly for a first byte to
// tell them apart. Before the switch nothing but CMD_switch is accepted.

// tlsSniffWait is how long a TLS listener waits for a ClientHello before
// it sends the identification string in plaintext. Only clients that then
// switch to TLS pay it; it is long enough that a TLS client on a loaded
// machine is not mistaken for one of them.
const tlsSniffWait = time.Second

// tlsRecordHandshake is the first byte of a TLS ClientHello record.
const tlsRecordHandshake = 0x16

// startTransport sets up the connection's transport: TLS from the first
// byte, a plaintext start that must switch, or plaintext on a loopback or
// unix listener. It reports false when the connection is to be dropped.
func (c *qapConn) startTransport(ctx context.Context) bool {
	l := &c.l.Config
	if c.l.TLS == nil {
		// Plaintext is only configured on loopback and unix listeners.
		c.secure = c.l.Secure()
		return true
	}
	_ = c.tc.SetReadDeadline(time.Now().Add(tlsSniffWait))
	var first [1]byte
	n, err := c.tc.Read(first[:])
	_ = c.tc.SetReadDeadline(time.Now().Add(l.ReadTimeout.Std()))
	switch {
	case n == 1 && first[0] == tlsRecordHandshake:
		return c.handshake(ctx, &transport.PrefixConn{Conn: c.tc, Prefix: first[:]})
	case n == 1:
		// A client that does not wait for the identification string: it
		// is not TLS, so it must switch before anything else.
		c.conn = &transport.PrefixConn{Conn: c.tc, Prefix: first[:]}
		c.switchTLS = true
		return true
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.switchTLS = true
		return true
	}
	return false
}

// handshake runs the server side of TLS over raw and makes it the
// connection's transport.
func (c *qapConn) handshake(ctx context.Context, raw net.Conn) bool {
	t := tls.Server(raw, c.l.TLS)
	hctx, cancel := context.WithTimeout(ctx, c.l.Config.ReadTimeout.Std())
	defer cancel()
	if err := t.HandshakeContext(hctx); err != nil {
		c.core.HandshakeFailed(c.peer, err)
		return false
	}
	c.conn, c.secure, c.switchTLS = t, true, false
	c.peer = transport.PeerOf(t, c.l, Protocol) // with the TLS state
	return true
}

// cmdSwitch is CMD_switch: "TLS" upgrades a plaintext start on a TLS
// listener. The answer goes out in plaintext, then the handshake follows.
func (c *qapConn) cmdSwitch(ctx context.Context, params []Param) bool {
	if len(params) < 1 || params[0].Type != DtString {
		return c.answerErr(ErrInvPar)
	}
	if params[0].String() != "TLS" {
		return c.answerErr(ErrUnsupportedCmd)
	}
	if !c.switchTLS {
		return c.answerErr(ErrDisabled)
	}
	if !c.answerOK(nil) {
		return false
	}
	_ = c.conn.SetDeadline(time.Now().Add(c.l.Config.ReadTimeout.Std()))
	if !c.handshake(ctx, c.conn) {
		return false
	}
	// A client certificate presented now names the user.
	c.loginRequired = !core.HasTransportIdentity(c.peer)
	return true
}
