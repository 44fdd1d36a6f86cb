package qap1

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// The QAP1 front end: Rserve's protocol, so that RSclient, pyRserve, roger
// and the Java client work through rwarden unchanged. A connection is one
// session with one worker, kept across commands; every evaluation goes
// through the same core as the framed protocol (policy, limits, audit).

// Protocol is the front end's name in listeners and audit records.
const Protocol = "qap1"

// Server is the QAP1 front end of one rwarden server: the session core and
// the front end's own state (the RSA key of RSclient's secure login).
type Server struct {
	core *core.Core
	log  *slog.Logger
	keys rsaKeyState
}

// NewServer returns the QAP1 front end on c; stateDir keeps its RSA key.
func NewServer(c *core.Core, stateDir string) *Server {
	return &Server{core: c, log: c.Logger(), keys: rsaKeyState{path: filepath.Join(stateDir, rsaKeyFile)}}
}

// qapConn is the state of one QAP1 connection.
type qapConn struct {
	srv  *Server
	core *core.Core
	l    *transport.Listener
	tc   *transport.Conn
	peer core.Peer

	conn      net.Conn // the transport: tc, or TLS over it
	secure    bool     // TLS, loopback or unix: passwords may travel here
	switchTLS bool     // plaintext start on a TLS listener: only CMD_switch until TLS

	// Authentication: a password login (CMD_login, CMD_secLogin) or the
	// transport's identity (certificate, peer credentials, anonymous).
	loginRequired bool // the transport can give no identity
	id            *core.Identity
	loggedIn      bool
	keyReqs       int
	authKey       []byte // the nonce handed out by CMD_keyReq

	sess     *core.Session
	encoding StringEncoding
	files    fileState // the open workspace file (serve_files.go)
}

// Serve serves one connection of the QAP1 protocol until the client
// closes it, breaks the protocol, or the server shuts down.
func (srv *Server) Serve(ctx context.Context, tc *transport.Conn) {
	l := tc.Listener()
	c := &qapConn{srv: srv, core: srv.core, l: l, tc: tc, conn: tc, peer: transport.PeerOf(tc, l, Protocol)}
	defer func() {
		c.closeFiles()
		if c.sess != nil {
			c.sess.Close()
		}
	}()
	if err := tc.SetDeadline(time.Now().Add(l.Config.ReadTimeout.Std())); err != nil {
		return
	}
	if !c.startTransport(ctx) {
		return
	}
	c.loginRequired = !core.HasTransportIdentity(c.peer)
	id := IDString(c.loginRequired && c.secure, c.switchTLS)
	// One write: the Java client reads the identification in one read.
	if _, err := c.conn.Write(id[:]); err != nil {
		return
	}
	for c.serveOne(ctx) {
	}
}

// serveOne reads and answers one command; false ends the connection.
func (c *qapConn) serveOne(ctx context.Context) bool {
	l := &c.l.Config
	c.tc.SetBusy(false)
	if err := c.conn.SetReadDeadline(time.Now().Add(c.idleTimeout())); err != nil {
		return false
	}
	h, err := ReadHeader(c.conn)
	if err != nil {
		c.readFailed(err, "header")
		return false
	}
	c.tc.SetBusy(true)
	// The payload is bounded by max_code_bytes (an assignment by the user's
	// data limit, serve_data.go) and must arrive promptly.
	_ = c.conn.SetReadDeadline(time.Now().Add(l.ReadTimeout.Std() * time.Duration(1+h.Len>>24)))
	limit, ok := c.payloadLimit(ctx, h)
	if !ok {
		return false
	}
	if h.Cmd == CmdSerAssign && h.Len <= limit {
		return c.streamSerAssign(ctx, h) // checked and passed on as it arrives
	}
	payload, err := ReadPayload(c.conn, h, limit)
	if err != nil {
		if errors.Is(err, ErrTooLarge) && isDataCmd(h.Cmd) && c.id != nil {
			return c.refuseOversizedData(ctx, h, limit)
		}
		if errors.Is(err, ErrTooLarge) {
			c.srv.log.Info("QAP1 message over max_code_bytes", "remote", c.peer.Remote, "bytes", h.Len)
			c.answerErr(ErrDataOverflow)
		} else {
			c.readFailed(err, "payload")
		}
		return false
	}
	_ = c.conn.SetReadDeadline(time.Time{})
	return c.dispatch(ctx, h.Cmd, payload)
}

// idleTimeout is how long the client may stay silent before its next
// command: read_timeout before authentication; afterwards the user's idle
// limit, within the session's wall-clock lifetime (an interactive client
// may pause, but an idle one does not hold a worker for long).
func (c *qapConn) idleTimeout() time.Duration {
	switch {
	case c.sess != nil:
		return c.sess.IdleTimeout()
	case c.id != nil:
		l := c.core.LimitsFor(c.id.User)
		return min(l.Idle, l.SessionWall)
	}
	return c.l.Config.ReadTimeout.Std()
}

func (c *qapConn) readFailed(err error, what string) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.srv.log.Info("QAP1 client idle past its deadline", "remote", c.peer.Remote, "reading", what)
		if c.sess != nil && what == "header" {
			c.sess.CloseIdle() // audited with its reason; the worker is freed now
		}
	case errors.Is(err, ErrProtocol):
		c.srv.log.Info("malformed QAP1 message", "remote", c.peer.Remote, "err", err)
		c.answerErr(ErrConnBroken)
	default:
		c.srv.log.Debug("QAP1 read failed", "remote", c.peer.Remote, "err", err)
	}
}

// dispatch answers one command; false ends the connection.
func (c *qapConn) dispatch(ctx context.Context, cmd int32, payload []byte) bool {
	var params []Param
	if !IsSpecial(cmd) {
		var err error
		if params, err = ParseParams(payload); err != nil {
			c.srv.log.Info("malformed QAP1 parameters", "remote", c.peer.Remote, "err", err)
			c.answerErr(ErrInvPar)
			return true
		}
	}
	// What Rserve accepts before a login: switching to TLS and logging in.
	switch cmd {
	case CmdSwitch:
		return c.cmdSwitch(ctx, params)
	case CmdKeyReq:
		return c.cmdKeyReq(params)
	case CmdSecLogin:
		return c.cmdSecLogin(ctx, params)
	case CmdLogin:
		return c.cmdLogin(ctx, params)
	}
	if !c.authenticated(ctx) {
		return false
	}
	if c.sess != nil {
		// The session's worker died: its objects are gone. Never carry on
		// with a fresh R process as if nothing happened; the reason is
		// logged here and in the session's end record.
		if err := c.sess.Lost(); err != nil {
			c.srv.log.Info("QAP1 connection closed: the session's R state was lost", "remote", c.peer.Remote, "session", c.sess.ID(), "err", err)
			return c.refuse(ErrConnBroken)
		}
	}
	switch {
	case cmd == CmdEval || cmd == CmdVoidEval:
		return c.cmdEval(ctx, cmd, params)
	case cmd == CmdSerEval || cmd == CmdSerEEval:
		return c.cmdSerEval(ctx, cmd, payload)
	case cmd == CmdSetSEXP || cmd == CmdAssignSEXP:
		return c.cmdSetSEXP(ctx, params)
	case cmd == CmdSetEncoding:
		return c.cmdSetEncoding(params)
	case cmd == CmdSetBufferSize:
		if len(params) < 1 || params[0].Type != DtInt {
			return c.answerErr(ErrInvPar)
		}
		return c.answerOK(nil) // rwarden sizes its buffers itself
	case cmd >= CmdOpenFile && cmd <= CmdRemoveFile:
		return c.cmdFile(ctx, cmd, params)
	case cmd == CmdShutdown,
		cmd >= CmdDetachSession && cmd <= CmdAttachSession,
		cmd&^0xf == CmdCtrl:
		return c.denyCommand(ctx, cmd)
	}
	c.srv.log.Info("unknown QAP1 command", "remote", c.peer.Remote, "cmd", cmd)
	return c.answerErr(ErrInvCmd)
}

// qapCommandNames name the refused commands in the audit trail.
var qapCommandNames = map[int32]string{
	CmdShutdown: "shutdown", CmdOpenFile: "openFile", CmdCreateFile: "createFile",
	CmdCloseFile: "closeFile", CmdReadFile: "readFile", CmdWriteFile: "writeFile",
	CmdRemoveFile: "removeFile", CmdDetachSession: "detachSession",
	CmdDetachedVoidEval: "detachedVoidEval", CmdAttachSession: "attachSession",
	CmdCtrlEval: "ctrlEval", CmdCtrlShutdown: "ctrlShutdown", CmdCtrlSource: "ctrlSource",
	CmdSetSEXP: "setSEXP", CmdAssignSEXP: "assignSEXP", CmdSerAssign: "serAssign",
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
	return c.answerErr(ErrAccessDenied)
}

// auditDenied records an access_denied event; when the trail cannot be
// written the connection ends (fail closed).
func (c *qapConn) auditDenied(ctx context.Context, what, reason string) {
	_ = c.core.Refuse(ctx, core.Refusal{Peer: c.peer, Identity: c.id, Session: c.sess, What: what, Reason: reason})
}

// answerTimeoutFor bounds writing an answer of n bytes: a client that
// stops reading cannot hold the connection forever, a large result on a
// slow link still gets through.
func answerTimeoutFor(n int) time.Duration {
	return transport.AnswerTimeout + time.Duration(n>>20)*time.Second
}

// answer writes one response: header and payload, in one write.
func (c *qapConn) answer(cmd int32, payload []byte) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(answerTimeoutFor(len(payload))))
	msg := Message(cmd, 0, payload)
	if _, err := c.conn.Write(msg); err != nil {
		c.srv.log.Debug("writing QAP1 answer failed", "remote", c.peer.Remote, "err", err)
		return false
	}
	return true
}

func (c *qapConn) answerOK(payload []byte) bool { return c.answer(RespOK, payload) }

func (c *qapConn) answerErr(status int) bool { return c.answer(RespError(status), nil) }

// refuse answers an authentication failure and ends the connection, as
// Rserve does.
func (c *qapConn) refuse(status int) bool {
	c.answerErr(status)
	return false
}
