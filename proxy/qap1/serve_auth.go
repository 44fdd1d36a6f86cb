package qap1

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"

	"github.com/rwarden/rwarden/proxy/core"
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
		c.srv.log.Info("QAP1 command before login", "remote", c.peer.Remote)
		return c.refuse(ErrAuthFailed)
	}
	id, err := c.core.Authenticate(ctx, c.peer, nil)
	if err != nil {
		return c.refuse(ErrAuthFailed)
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
		return false, c.answerErr(ErrInvCmd)
	case !c.secure:
		c.auditDenied(ctx, cmd, "login on a channel that is neither TLS, loopback nor a unix socket")
		return false, c.refuse(ErrAuthFailed)
	}
	return true, true
}

// cmdLogin is CMD_login: "user\npassword" as a DT_STRING.
func (c *qapConn) cmdLogin(ctx context.Context, params []Param) bool {
	if ok, keep := c.loginAllowed(ctx, "CMD_login"); !ok {
		return keep
	}
	if len(params) < 1 || params[0].Type != DtString {
		return c.refuse(ErrInvPar)
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
func (c *qapConn) cmdKeyReq(params []Param) bool {
	if len(params) < 1 || params[0].Type != DtString {
		return c.answerErr(ErrInvPar)
	}
	if !strings.Contains(params[0].String(), "rsa-authkey") {
		return c.answerErr(ErrUnavailable)
	}
	c.keyReqs++
	if c.keyReqs > 1 {
		c.srv.log.Info("second QAP1 key request", "remote", c.peer.Remote)
		return c.refuse(ErrSecurityClose)
	}
	if !c.secure {
		return c.refuse(ErrAuthFailed)
	}
	k, err := c.srv.keys.get()
	if err != nil {
		c.srv.log.Error("QAP1 RSA key unavailable", "err", err)
		return c.answerErr(ErrCryptError)
	}
	c.authKey = make([]byte, nonceLen)
	if _, err := rand.Read(c.authKey); err != nil {
		return c.answerErr(ErrCryptError)
	}
	return c.answerOK(keyResponse(k, c.authKey))
}

// cmdSecLogin is CMD_secLogin: the RSA-encrypted nonce and credentials.
func (c *qapConn) cmdSecLogin(ctx context.Context, params []Param) bool {
	if ok, keep := c.loginAllowed(ctx, "CMD_secLogin"); !ok {
		return keep
	}
	if len(params) < 1 || params[0].Type != DtBytestream {
		return c.refuse(ErrInvPar)
	}
	nonce := c.authKey
	c.authKey = nil // one attempt per nonce
	k, err := c.srv.keys.get()
	if nonce == nil || err != nil {
		return c.refuse(ErrAuthFailed)
	}
	if len(params[0].Data) > k.Size() {
		c.srv.log.Info("QAP1 secure login refused", "remote", c.peer.Remote, "err", errTooManyBlocks, "bytes", len(params[0].Data))
		return c.refuse(ErrInvPar)
	}
	// The private-key operation comes after the address's login limit: a
	// refused address costs no RSA work.
	if wait, ok := c.core.LoginAllowed(c.peer); !ok {
		c.srv.log.Debug("QAP1 secure login rate-limited before decryption", "remote", c.peer.Remote, "retry_after", wait)
		return c.refuse(ErrAuthFailed)
	}
	text, err := decryptLogin(k, nonce, params[0].Data)
	if err != nil {
		c.srv.log.Info("QAP1 secure login refused", "remote", c.peer.Remote, "err", err)
		c.core.LoginFailed(c.peer)
		return c.refuse(ErrAuthFailed)
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
	id, err := c.core.Authenticate(ctx, c.peer, &core.Credentials{User: user, Password: pass})
	if err != nil {
		var af *core.AuthError
		if !errors.As(err, &af) {
			c.srv.log.Error("QAP1 login failed", "remote", c.peer.Remote, "err", err)
		}
		return c.refuse(ErrAuthFailed)
	}
	c.id, c.loggedIn = &id, true
	return c.answerOK(nil)
}
