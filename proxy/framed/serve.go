package framed

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// The framed front end: a thin adapter of the session core. It reads one
// request, authenticates the peer, opens a session, evaluates and renders
// the outcome as the framed answer.

// Protocol is the front end's name in listeners and audit records.
const Protocol = "framed"

// Serve serves one connection of the framed protocol: one request, one
// answer, close. Everything the client sends must arrive within the
// listener's read_timeout (the TLS handshake included).
func Serve(ctx context.Context, c *core.Core, tc *transport.Conn) {
	l := tc.Listener()
	log := c.Logger()
	deadline := time.Now().Add(l.Config.ReadTimeout.Std())
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
			c.HandshakeFailed(transport.PeerOf(tc, l, Protocol), err)
			return
		}
		conn = t
	}
	peer := transport.PeerOf(conn, l, Protocol)

	br := bufio.NewReaderSize(conn, 512) // a files PUT's data follows the request in it
	req, err := ReadRequest(br, Limits{MaxCodeBytes: int64(l.Config.MaxCodeBytes)})
	if err != nil {
		refuseRequest(log, conn, peer, err, l.Config.ReadTimeout.Std())
		return
	}
	var creds *core.Credentials
	if req.Auth != nil {
		creds = &core.Credentials{User: req.Auth.User, Password: req.Auth.Password}
	}
	id, err := c.Authenticate(ctx, peer, creds)
	if creds != nil {
		clear(creds.Password)
		clear(req.Auth.Password)
	}
	if err != nil {
		var af *core.AuthError
		if errors.As(err, &af) && req.Files != nil {
			filesError(log, conn, peer, errors.New(af.Message))
		} else if errors.As(err, &af) {
			answer(log, conn, req.Encoding, "Error: "+af.Message+"\n")
		}
		return
	}
	if req.Files != nil {
		tc.SetBusy(true)
		serveFiles(ctx, c, conn, br, id, peer, req.Files, l.Config.ReadTimeout.Std())
		return
	}
	sess, err := c.OpenSession(ctx, id, peer)
	if err != nil {
		answer(log, conn, req.Encoding, "Error: "+err.Error()+"\n")
		return
	}
	defer sess.Close()

	// The evaluation has its own limits; the connection's read deadline no
	// longer applies, and shutdown lets a busy connection finish.
	tc.SetBusy(true)
	_ = conn.SetDeadline(time.Time{})
	if req.Stream {
		serveStream(ctx, log, conn, sess, req)
		return
	}
	out := sess.Evaluate(ctx, req.Code, core.EvalOptions{})
	answer(log, conn, req.Encoding, Render(out))
}

// serveStream evaluates with the output sent as 'o' frames while R
// produces it, then the rest of the answer as the final 'r' frame. A
// client that stops reading gets no more frames (each write has its own
// deadline) and the evaluation is canceled.
func serveStream(ctx context.Context, log *slog.Logger, conn net.Conn, sess *core.Session, req *Request) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var carry []byte
	failed := false
	send := func(kind byte, text string) {
		if failed {
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(transport.AnswerTimeout))
		if err := WriteStreamFrame(conn, kind, req.Encoding, text); err != nil {
			log.Debug("writing a stream frame failed", "remote", conn.RemoteAddr().String(), "err", err)
			failed = true
			cancel()
		}
	}
	out := sess.Evaluate(ctx, req.Code, core.EvalOptions{Stream: func(ev core.Event) {
		var head []byte
		head, carry = utf8Carry(append(carry, ev.Data...))
		if len(head) > 0 {
			send(FrameOutput, string(head))
		}
		carry = bytes.Clone(carry)
	}})
	if len(carry) > 0 { // a character cut by the output limit
		send(FrameOutput, string(carry))
	}
	send(FrameResult, RenderStreamEnd(out))
	if t, ok := conn.(*tls.Conn); ok && !failed {
		_ = t.CloseWrite()
	}
}

// refuseRequest answers a request that could not be read: a protocol error
// gets its error text; a client that sent nothing, or stalled past the read
// deadline, gets its connection closed (with a short answer when possible).
func refuseRequest(log *slog.Logger, conn net.Conn, peer core.Peer, err error, timeout time.Duration) {
	var pe *ProtocolError
	switch {
	case errors.Is(err, transport.ErrProxyHeaderRefused):
		// Answered by the listener's refusal; read what the client still
		// sends, so that closing sends no reset ahead of that answer.
		drainAfterAnswer(conn)
	case errors.As(err, &pe):
		if errors.Is(err, io.EOF) {
			return // connected and sent nothing
		}
		log.Info("malformed request", "remote", peer.Remote, "err", pe.Msg)
		answer(log, conn, UTF8, pe.Answer())
		drainAfterAnswer(conn)
	case errors.Is(err, os.ErrDeadlineExceeded):
		log.Info("request not received in time", "remote", peer.Remote, "timeout", timeout)
		answer(log, conn, UTF8, fmt.Sprintf("Error: the request did not arrive within %s\n", timeout))
	default:
		log.Debug("reading request failed", "remote", peer.Remote, "err", err)
	}
}

// answer writes one answer and ends the connection.
func answer(log *slog.Logger, conn net.Conn, enc Encoding, text string) {
	_ = conn.SetWriteDeadline(time.Now().Add(transport.AnswerTimeout))
	if err := WriteResponse(conn, enc, text); err != nil {
		log.Debug("writing answer failed", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	if t, ok := conn.(*tls.Conn); ok {
		_ = t.CloseWrite()
	}
}

// Bounds of drainAfterAnswer: reading is cheap, and a refused connection
// holds its place (counted by the connection limits) for at most a second.
const (
	drainBytes   = 16 << 20
	drainTimeout = time.Second
)

// drainAfterAnswer reads and discards what a refused client is still
// sending (the rest of an over-long line, or of its code), a bounded
// amount for a bounded time, after the answer went out and the sending
// side was shut. Closing a socket with unread input makes the kernel send
// a reset, and a client still writing then fails before it reads the
// error text it was sent.
func drainAfterAnswer(conn net.Conn) {
	raw := conn
	if t, ok := conn.(*tls.Conn); ok {
		raw = t.NetConn()
	}
	if tc, ok := raw.(*transport.Conn); ok {
		raw = tc.NetConn()
	}
	if cw, ok := raw.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.CopyN(io.Discard, raw, drainBytes)
}
