package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/rwarden/rwarden/proxy/framed"
)

// answerTimeout bounds writing an answer: a client that stops reading
// cannot hold a connection (and its goroutine) forever.
const answerTimeout = 30 * time.Second

// serveFramed serves one connection of the framed protocol: one request,
// one answer, close. Everything the client sends must arrive within the
// listener's read_timeout (the TLS handshake included).
func (srv *Server) serveFramed(ctx context.Context, bl *boundListener, tc *trackedConn) {
	l := &bl.cfg
	ci := ConnInfo{Remote: remoteOf(tc, *l), Listener: l.Address, Protocol: ProtocolFramed}
	deadline := time.Now().Add(l.ReadTimeout.Std())
	if err := tc.SetDeadline(deadline); err != nil {
		return
	}
	var conn net.Conn = tc
	if bl.tls != nil {
		t := tls.Server(tc, bl.tls)
		hctx, cancel := context.WithDeadline(ctx, deadline)
		err := t.HandshakeContext(hctx)
		cancel()
		if err != nil {
			srv.log.Debug("TLS handshake failed", "remote", ci.Remote, "err", err)
			return
		}
		conn = t
	}

	req, err := framed.ReadRequest(conn, framed.Limits{MaxCodeBytes: int64(l.MaxCodeBytes)})
	if err != nil {
		srv.refuseRequest(conn, ci, err, l.ReadTimeout.Std())
		return
	}
	var creds *Credentials
	if req.Auth != nil {
		creds = &Credentials{User: req.Auth.User, Password: req.Auth.Password}
	}
	id, err := srv.Identify(ctx, conn, l, creds, ci)
	if creds != nil {
		clear(creds.Password)
		clear(req.Auth.Password)
	}
	if err != nil {
		var af *authFailure
		if errors.As(err, &af) {
			srv.answerFramed(conn, req.Encoding, af.Answer)
		}
		return
	}
	sess, err := srv.OpenSession(ctx, id, ci)
	if err != nil {
		srv.answerFramed(conn, req.Encoding, "Error: "+err.Error()+"\n")
		return
	}
	defer sess.Close()

	// The evaluation has its own limits; the connection's read deadline no
	// longer applies, and shutdown lets a busy connection finish.
	tc.setBusy(true)
	_ = conn.SetDeadline(time.Time{})
	out := sess.Evaluate(ctx, req.Code, EvalOptions{})
	srv.answerFramed(conn, req.Encoding, out.Text())
}

// refuseRequest answers a request that could not be read: a protocol error
// gets its error text; a client that sent nothing, or stalled past the read
// deadline, gets its connection closed (with a short answer when possible).
func (srv *Server) refuseRequest(conn net.Conn, ci ConnInfo, err error, timeout time.Duration) {
	var pe *framed.ProtocolError
	switch {
	case errors.As(err, &pe):
		if errors.Is(err, io.EOF) {
			return // connected and sent nothing
		}
		srv.log.Info("malformed request", "remote", ci.Remote, "err", pe.Msg)
		srv.answerFramed(conn, framed.UTF8, pe.Answer())
	case errors.Is(err, os.ErrDeadlineExceeded):
		srv.log.Info("request not received in time", "remote", ci.Remote, "timeout", timeout)
		srv.answerFramed(conn, framed.UTF8, fmt.Sprintf("Error: the request did not arrive within %s\n", timeout))
	default:
		srv.log.Debug("reading request failed", "remote", ci.Remote, "err", err)
	}
}

// answerFramed writes one answer and ends the connection.
func (srv *Server) answerFramed(conn net.Conn, enc framed.Encoding, text string) {
	_ = conn.SetWriteDeadline(time.Now().Add(answerTimeout))
	if err := framed.WriteResponse(conn, enc, text); err != nil {
		srv.log.Debug("writing answer failed", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	if t, ok := conn.(*tls.Conn); ok {
		_ = t.CloseWrite()
	}
}
