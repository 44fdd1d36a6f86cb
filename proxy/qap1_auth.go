package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"

	"github.com/rwarden/rwarden/proxy/qap1"
)

// Authentication on QAP1. Rserve accepts CMD_login (user\npassword in
// plain text), RSclient's RSA login (CMD_keyReq, CMD_secLogin) and
// CMD_switch before a login; any other command from a client that has not
// authenticated is answered ERR_auth_failed and the connection closed.
// Passwords are accepted only on a channel that is TLS, loopback or a unix
// socket. A connection whose transport names its user (client
// certificate, peer credentials, anonymous listener) needs no login, but
// may log in with a password before its first evaluation.

// authenticated makes sure the connection has an identity before a
// command that needs one; false ends the connection.
func (c *qapConn) authenticated(ctx context.Context) bool {
	if c.id != nil {
		return true
	}
	if c.switchTLS || c.loginRequired {
		c.srv.log.Info("QAP1 command before login", "remote", c.ci.Remote)
		return c.refuse(qap1.ErrAuthFailed)
	}
	id, err := c.srv.Identify(ctx, c.conn, &c.bl.cfg, nil, c.ci)
	if err != nil {
		return c.refuse(qap1.ErrAuthFailed)
	}
	c.id = &id
	return true
}

// loginAllowed checks that a login may happen now; it answers and
// reports false (ending the connection when it must) otherwise.
func (c *qapConn) loginAllowed(ctx context.Context, cmd string) (ok, keep bool) {
	switch {
	case c.loggedIn || c.sess != nil:
		// Rserve: once authenticated, a login is not a command.
		return false, c.answerErr(qap1.ErrInvCmd)
	case !c.secure:
		c.auditDenied(ctx, cmd, "login on a channel that is neither TLS, loopback nor a unix socket")
		return false, c.refuse(qap1.ErrAuthFailed)
	}
	return true, true
}

// cmdLogin is CMD_login: "user\npassword" as a DT_STRING.
func (c *qapConn) cmdLogin(ctx context.Context, params []qap1.Param) bool {
	if ok, keep := c.loginAllowed(ctx, "CMD_login"); !ok {
		return keep
	}
	if len(params) < 1 || params[0].Type != qap1.DtString {
		return c.refuse(qap1.ErrInvPar)
	}
	user, pass, _ := strings.Cut(params[0].String(), "\n")
	if i := strings.IndexAny(pass, "\r\n"); i >= 0 {
		pass = pass[:i]
	}
	return c.passwordLogin(ctx, user, []byte(pass))
}

// cmdKeyReq is CMD_keyReq "rsa-authkey": a fresh nonce and the server's
// RSA public key. A second request on one connection is a security
// violation in Rserve, and here.
func (c *qapConn) cmdKeyReq(params []qap1.Param) bool {
	if len(params) < 1 || params[0].Type != qap1.DtString {
		return c.answerErr(qap1.ErrInvPar)
	}
	if !strings.Contains(params[0].String(), "rsa-authkey") {
		return c.answerErr(qap1.ErrUnavailable)
	}
	c.keyReqs++
	if c.keyReqs > 1 {
		c.srv.log.Info("second QAP1 key request", "remote", c.ci.Remote)
		return c.refuse(qap1.ErrSecurityClose)
	}
	if !c.secure {
		return c.refuse(qap1.ErrAuthFailed)
	}
	k, err := c.srv.qapRSAKey()
	if err != nil {
		c.srv.log.Error("QAP1 RSA key unavailable", "err", err)
		return c.answerErr(qap1.ErrCryptError)
	}
	c.authKey = make([]byte, qapNonceLen)
	if _, err := rand.Read(c.authKey); err != nil {
		return c.answerErr(qap1.ErrCryptError)
	}
	return c.answerOK(qapKeyResponse(k, c.authKey))
}

// cmdSecLogin is CMD_secLogin: the RSA-encrypted nonce and credentials.
func (c *qapConn) cmdSecLogin(ctx context.Context, params []qap1.Param) bool {
	if ok, keep := c.loginAllowed(ctx, "CMD_secLogin"); !ok {
		return keep
	}
	if len(params) < 1 || params[0].Type != qap1.DtBytestream {
		return c.refuse(qap1.ErrInvPar)
	}
	nonce := c.authKey
	c.authKey = nil // one attempt per nonce
	k, err := c.srv.qapRSAKey()
	if nonce == nil || err != nil {
		return c.refuse(qap1.ErrAuthFailed)
	}
	text, err := qapDecryptLogin(k, nonce, params[0].Data)
	if err != nil {
		c.srv.log.Info("QAP1 secure login refused", "remote", c.ci.Remote, "err", err)
		return c.refuse(qap1.ErrAuthFailed)
	}
	defer clear(text)
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	user, rest, _ := bytes.Cut(text, []byte("\n"))
	pass, _, _ := bytes.Cut(rest, []byte("\n"))
	return c.passwordLogin(ctx, string(user), bytes.Clone(pass))
}

// passwordLogin checks a password with rwarden's users file and policy
// (audited and rate-limited by Identify).
func (c *qapConn) passwordLogin(ctx context.Context, user string, pass []byte) bool {
	defer clear(pass)
	id, err := c.srv.Identify(ctx, c.conn, &c.bl.cfg, &Credentials{User: user, Password: pass}, c.ci)
	if err != nil {
		var af *authFailure
		if !errors.As(err, &af) {
			c.srv.log.Error("QAP1 login failed", "remote", c.ci.Remote, "err", err)
		}
		return c.refuse(qap1.ErrAuthFailed)
	}
	c.id, c.loggedIn = &id, true
	return c.answerOK(nil)
}
