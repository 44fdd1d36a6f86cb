package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// The QAP1 front end: Rserve's protocol, so that RSclient, pyRserve, roger
// and the Java client work through rwarden unchanged. A connection is one
// session with one worker, kept across commands; every evaluation goes
// through the same core as the framed protocol (policy, limits, audit).

// qapConn is the state of one QAP1 connection.
type qapConn struct {
	srv *Server
	bl  *boundListener
	tc  *trackedConn
	ci  ConnInfo

	conn      net.Conn // the transport: tc, or TLS over it
	secure    bool     // TLS, loopback or unix: passwords may travel here
	switchTLS bool     // plaintext start on a TLS listener: only CMD_switch until TLS

	// Authentication: a password login (CMD_login, CMD_secLogin) or the
	// transport's identity (certificate, peer credentials, anonymous).
	loginRequired bool // the transport can give no identity
	id            *auth.Identity
	loggedIn      bool
	keyReqs       int
	authKey       []byte // the nonce handed out by CMD_keyReq

	sess     *Session
	encoding qap1.StringEncoding
}

// serveQAP1 serves one connection of the QAP1 protocol until the client
// closes it, breaks the protocol, or the server shuts down.
func (srv *Server) serveQAP1(ctx context.Context, bl *boundListener, tc *trackedConn) {
	l := &bl.cfg
	c := &qapConn{srv: srv, bl: bl, tc: tc, conn: tc,
		ci: ConnInfo{Remote: remoteOf(tc, *l), Listener: l.Address, Protocol: ProtocolQAP1}}
	defer func() {
		if c.sess != nil {
			c.sess.Close()
		}
	}()
	if err := tc.SetDeadline(time.Now().Add(l.ReadTimeout.Std())); err != nil {
		return
	}
	if !c.startTransport(ctx) {
		return
	}
	c.loginRequired = !c.transportIdentityPossible()
	id := qap1.IDString(c.loginRequired && c.secure, c.switchTLS)
	// One write: the Java client reads the identification in one read.
	if _, err := c.conn.Write(id[:]); err != nil {
		return
	}
	for c.serveOne(ctx) {
	}
}

// transportIdentityPossible reports whether the connection can have an
// identity without a login: a client certificate, a unix socket's peer
// credentials, or the listener's anonymous user.
func (c *qapConn) transportIdentityPossible() bool {
	if t, ok := c.conn.(*tls.Conn); ok && len(t.ConnectionState().PeerCertificates) > 0 {
		return true
	}
	return c.bl.cfg.IsUnix() || c.bl.cfg.AnonymousUser != ""
}

// serveOne reads and answers one command; false ends the connection.
func (c *qapConn) serveOne(ctx context.Context) bool {
	l := &c.bl.cfg
	c.tc.setBusy(false)
	if err := c.conn.SetReadDeadline(time.Now().Add(c.idleTimeout())); err != nil {
		return false
	}
	h, err := qap1.ReadHeader(c.conn)
	if err != nil {
		c.readFailed(err, "header")
		return false
	}
	c.tc.setBusy(true)
	// The payload is bounded by max_code_bytes and must arrive promptly.
	_ = c.conn.SetReadDeadline(time.Now().Add(l.ReadTimeout.Std() * time.Duration(1+h.Len>>24)))
	payload, err := qap1.ReadPayload(c.conn, h, int64(l.MaxCodeBytes))
	if err != nil {
		if errors.Is(err, qap1.ErrTooLarge) {
			c.srv.log.Info("QAP1 message over max_code_bytes", "remote", c.ci.Remote, "bytes", h.Len)
			c.answerErr(qap1.ErrDataOverflow)
		} else {
			c.readFailed(err, "payload")
		}
		return false
	}
	_ = c.conn.SetReadDeadline(time.Time{})
	return c.dispatch(ctx, h.Cmd, payload)
}

// idleTimeout is how long the client may stay silent before its next
// command: read_timeout before authentication; afterwards the rest of the
// session's wall-clock lifetime (an interactive client may pause).
func (c *qapConn) idleTimeout() time.Duration {
	idle := c.bl.cfg.ReadTimeout.Std()
	switch {
	case c.sess != nil:
		idle = max(idle, time.Until(c.sess.started.Add(c.sess.limits.SessionWall)))
	case c.id != nil:
		idle = max(idle, c.srv.cfg.LimitsFor(c.id.User, c.srv.policy.Roles(c.id.User)).SessionWall)
	}
	return idle
}

func (c *qapConn) readFailed(err error, what string) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.srv.log.Info("QAP1 client idle past its deadline", "remote", c.ci.Remote, "reading", what)
	case errors.Is(err, qap1.ErrProtocol):
		c.srv.log.Info("malformed QAP1 message", "remote", c.ci.Remote, "err", err)
		c.answerErr(qap1.ErrConnBroken)
	default:
		c.srv.log.Debug("QAP1 read failed", "remote", c.ci.Remote, "err", err)
	}
}

// dispatch answers one command; false ends the connection.
func (c *qapConn) dispatch(ctx context.Context, cmd int32, payload []byte) bool {
	var params []qap1.Param
	if !qap1.IsSpecial(cmd) {
		var err error
		if params, err = qap1.ParseParams(payload); err != nil {
			c.srv.log.Info("malformed QAP1 parameters", "remote", c.ci.Remote, "err", err)
			c.answerErr(qap1.ErrInvPar)
			return true
		}
	}
	// What Rserve accepts before a login: switching to TLS and logging in.
	switch cmd {
	case qap1.CmdSwitch:
		return c.cmdSwitch(ctx, params)
	case qap1.CmdKeyReq:
		return c.cmdKeyReq(params)
	case qap1.CmdSecLogin:
		return c.cmdSecLogin(ctx, params)
	case qap1.CmdLogin:
		return c.cmdLogin(ctx, params)
	}
	if !c.authenticated(ctx) {
		return false
	}
	switch {
	case cmd == qap1.CmdEval || cmd == qap1.CmdVoidEval:
		return c.cmdEval(ctx, cmd, params)
	case cmd == qap1.CmdSerEval || cmd == qap1.CmdSerEEval:
		return c.cmdSerEval(ctx, cmd, payload)
	case cmd == qap1.CmdSerAssign:
		return c.cmdSerAssign(ctx, payload)
	case cmd == qap1.CmdSetSEXP || cmd == qap1.CmdAssignSEXP:
		return c.cmdSetSEXP(ctx, params)
	case cmd == qap1.CmdSetEncoding:
		return c.cmdSetEncoding(params)
	case cmd == qap1.CmdSetBufferSize:
		if len(params) < 1 || params[0].Type != qap1.DtInt {
			return c.answerErr(qap1.ErrInvPar)
		}
		return c.answerOK(nil) // rwarden sizes its buffers itself
	case cmd == qap1.CmdShutdown,
		cmd >= qap1.CmdOpenFile && cmd <= qap1.CmdRemoveFile,
		cmd >= qap1.CmdDetachSession && cmd <= qap1.CmdAttachSession,
		cmd&^0xf == qap1.CmdCtrl:
		return c.denyCommand(ctx, cmd)
	}
	c.srv.log.Info("unknown QAP1 command", "remote", c.ci.Remote, "cmd", cmd)
	return c.answerErr(qap1.ErrInvCmd)
}

// qapCommandNames name the refused commands in the audit trail.
var qapCommandNames = map[int32]string{
	qap1.CmdShutdown: "shutdown", qap1.CmdOpenFile: "openFile", qap1.CmdCreateFile: "createFile",
	qap1.CmdCloseFile: "closeFile", qap1.CmdReadFile: "readFile", qap1.CmdWriteFile: "writeFile",
	qap1.CmdRemoveFile: "removeFile", qap1.CmdDetachSession: "detachSession",
	qap1.CmdDetachedVoidEval: "detachedVoidEval", qap1.CmdAttachSession: "attachSession",
	qap1.CmdCtrlEval: "ctrlEval", qap1.CmdCtrlShutdown: "ctrlShutdown", qap1.CmdCtrlSource: "ctrlSource",
}

// denyCommand refuses a command rwarden never runs (server shutdown, file
// access on the server, control commands, session detach and attach):
// ERR_accessDenied, and an access_denied record.
func (c *qapConn) denyCommand(ctx context.Context, cmd int32) bool {
	name, ok := qapCommandNames[cmd]
	if !ok {
		name = "control"
	}
	c.auditDenied(ctx, "CMD_"+name, "command not available through rwarden")
	return c.answerErr(qap1.ErrAccessDenied)
}

// auditDenied records an access_denied event; when the trail cannot be
// written the connection ends (fail closed).
func (c *qapConn) auditDenied(ctx context.Context, what, reason string) {
	rec := &audit.Record{Event: audit.EventAccessDenied, Remote: c.ci.Remote, Listener: c.ci.Listener,
		Protocol: c.ci.Protocol, Error: reason, Detail: map[string]string{"command": what}}
	if c.id != nil {
		rec.User, rec.AuthMethod = c.id.User, string(c.id.Method)
	}
	if c.sess != nil {
		rec.Session = c.sess.ID()
	}
	c.srv.log.Info("QAP1 command refused", "remote", c.ci.Remote, "user", rec.User, "command", what)
	if err := c.srv.audit.Append(ctx, rec); err != nil {
		c.srv.log.Error("AUDIT WRITE FAILED: access_denied not recorded", "err", err)
	}
}

// answerTimeoutFor bounds writing an answer of n bytes: a client that
// stops reading cannot hold the connection forever, a large result on a
// slow link still gets through.
func answerTimeoutFor(n int) time.Duration {
	return answerTimeout + time.Duration(n>>20)*time.Second
}

// answer writes one response: header and payload, in one write.
func (c *qapConn) answer(cmd int32, payload []byte) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(answerTimeoutFor(len(payload))))
	msg := qap1.Message(cmd, 0, payload)
	if _, err := c.conn.Write(msg); err != nil {
		c.srv.log.Debug("writing QAP1 answer failed", "remote", c.ci.Remote, "err", err)
		return false
	}
	return true
}

func (c *qapConn) answerOK(payload []byte) bool { return c.answer(qap1.RespOK, payload) }

func (c *qapConn) answerErr(status int) bool { return c.answer(qap1.RespError(status), nil) }

// refuse answers an authentication failure and ends the connection, as
// Rserve does.
func (c *qapConn) refuse(status int) bool {
	c.answerErr(status)
	return false
}
