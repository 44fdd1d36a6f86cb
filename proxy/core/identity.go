package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/transport"
)

// Peer describes a client without its connection (remote address, TLS
// state, peer credentials, listener): see transport.Peer.
type Peer = transport.Peer

// PeerCred are a unix-socket peer's credentials (Peer.Cred).
type PeerCred = transport.PeerCred

// Identity is who an authenticated client is.
type Identity = auth.Identity

// Credentials a client presents in-band (the framed AUTH line, QAP1 login,
// HTTP Authorization): a user and password, or a bearer token (an rwarden
// API token, or an OIDC ID/access token on a listener configured for it).
type Credentials struct {
	User     string
	Password []byte
	Bearer   string
}

// AuthError is a refused authentication: Message is for the client (it
// never says whether the user exists), Reason for logs and the audit trail.
type AuthError struct {
	Message     string
	Reason      string
	RateLimited bool
}

func (e *AuthError) Error() string { return e.Reason }

var errNoCredentials = &AuthError{
	Message: "authentication required: send an AUTH line, connect with a client certificate, or use a listener with an anonymous user",
	Reason:  "no credentials",
}

// Authenticate decides who a peer is, in this order: in-band credentials
// (a password), a verified client certificate, the peer credentials of a
// unix socket, the listener's anonymous user. Every identity must be an
// rwarden user (one with a policy); a certificate or uid that maps to no
// rwarden user is refused rather than falling back to anonymous. Every
// success and failure is logged and audited. Password attempts pass the
// login limits first (auth.Limiter: per address, per user and address, and
// the user's guess bucket that addresses with a good history skip); a
// client whose user (anonymous: user and address) the request limits
// refuse right now is refused too. Rate-limited refusals are audited through the flood
// aggregation (a few in full per address, the rest in a summary). A
// refusal is an *AuthError.
func (c *Core) Authenticate(ctx context.Context, peer Peer, creds *Credentials) (Identity, error) {
	id, err := c.identify(ctx, peer, creds)
	if err == nil {
		err = c.requestThrottled(id, peer)
	}
	rec := newRecord(audit.EventAuth, peer, &id, "")
	if (id.Method == auth.MethodToken || id.Method == auth.MethodOIDC) && id.Detail != "" {
		// Which token: the id of an API token, the issuer and subject of
		// an OIDC token (never the token itself).
		rec.Detail = map[string]string{"credential": id.Detail}
	}
	var af *AuthError
	switch {
	case err == nil:
		rec.Status = audit.StatusSuccess
		c.metrics.auth.WithLabelValues(string(id.Method), "success").Inc()
		c.log.Info("authenticated", "user", id.User, "method", id.Method, "remote", peer.Remote, "listener", peer.Listener)
	case errors.As(err, &af):
		rec.Status = audit.StatusFailure
		if af.RateLimited {
			rec.Status = audit.StatusRateLimited
		}
		rec.Error = af.Reason
		c.metrics.auth.WithLabelValues(string(id.Method), rec.Status).Inc()
		if af.RateLimited && !c.flood.admit("auth|"+auth.AddrKey(peer.Remote), id.User, rec) {
			// Counted into the address's summary record: a flood of
			// refused logins must not fill the audit disk (or the log).
			c.log.Debug("authentication refused", "user", id.User, "method", id.Method, "remote", peer.Remote, "reason", af.Reason)
			return id, err
		}
		c.log.Warn("authentication refused", "user", id.User, "method", id.Method, "remote", peer.Remote, "reason", af.Reason)
	default:
		return id, err
	}
	if aerr := c.audit.Append(ctx, rec); aerr != nil {
		c.log.Error("AUDIT WRITE FAILED: refusing the connection", "err", aerr)
		return Identity{}, &AuthError{Message: "service unavailable: the audit log cannot be written", Reason: "audit unavailable"}
	}
	return id, err
}

// HasTransportIdentity reports whether the peer can be authenticated
// without credentials: a client certificate, a unix socket's peer
// credentials, or the listener's anonymous user.
func HasTransportIdentity(peer Peer) bool {
	return peer.TLS != nil && len(peer.TLS.PeerCertificates) > 0 || peer.Unix || peer.AnonymousUser != ""
}

func (c *Core) identify(ctx context.Context, peer Peer, creds *Credentials) (Identity, error) {
	if creds != nil && creds.Bearer != "" {
		return c.bearerIdentity(ctx, creds.Bearer, peer)
	}
	if creds != nil {
		if d, ok := c.directoryFor(peer.Listener); ok {
			return c.directoryIdentity(ctx, d, creds, peer)
		}
		return c.passwordIdentity(ctx, creds, peer)
	}
	if peer.TLS != nil {
		if id, found, err := c.certIdentity(peer); found || err != nil {
			return id, err
		}
	}
	if peer.Unix {
		return c.peerIdentity(peer)
	}
	if peer.AnonymousUser != "" {
		id := Identity{User: peer.AnonymousUser, Method: auth.MethodAnonymous, Detail: peer.Remote}
		if !c.policy.HasUser(id.User) {
			return id, &AuthError{Message: "this listener's anonymous user has no policy", Reason: "anonymous user has no policy"}
		}
		return id, nil
	}
	return Identity{}, errNoCredentials
}

func (c *Core) passwordIdentity(ctx context.Context, creds *Credentials, peer Peer) (Identity, error) {
	id := Identity{User: creds.User, Method: auth.MethodPassword, Detail: peer.Remote}
	refused := &AuthError{Message: "authentication failed", Reason: "bad credentials"}
	at, lim := c.limiter.Begin(creds.User, peer.Remote)
	if lim != nil {
		c.metrics.loginsLimited.WithLabelValues(lim.Limit).Inc()
		return id, &AuthError{Message: loginLimitMessage(lim), Reason: "rate limited: " + lim.Error(), RateLimited: true}
	}
	// The password and the policy are read within one store version
	// (consistentDecision): never a new version's users with the old
	// policy or the reverse.
	var err error
	var hasPolicy bool
	if !c.consistentDecision(func() {
		err = c.users.Verify(ctx, creds.User, creds.Password)
		hasPolicy = err == nil && c.policy.HasUser(creds.User)
	}) {
		at.Abandon()
		return id, &AuthError{Message: "the policy is changing; try again", Reason: "store versions changed during the login"}
	}
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		at.Abandon()
		c.metrics.loginsLimited.WithLabelValues("queue").Inc()
		return id, &AuthError{Message: "too many logins in progress; try again shortly", Reason: "login queue full", RateLimited: true}
	case err != nil && !errors.Is(err, auth.ErrBadCredentials):
		// Not checked (canceled while waiting for an argon2 slot): no guess.
		at.Abandon()
		refused.Reason = err.Error()
		return id, refused
	case err != nil:
		c.metrics.passwordChecks.WithLabelValues("failure").Inc()
		at.Failed()
		return id, refused
	}
	c.metrics.passwordChecks.WithLabelValues("success").Inc()
	if !hasPolicy {
		// A password without a policy is no rwarden user: same answer as a
		// wrong password, the reason only in the trail.
		at.Failed()
		refused.Reason = "user has a password but no policy"
		return id, refused
	}
	at.Succeeded()
	return id, nil
}

// loginLimitMessage tells the client which login limit refused it and
// when to retry; it says nothing about whether the user exists.
func loginLimitMessage(r *auth.Refusal) string {
	wait := max(r.Wait, 100*time.Millisecond).Seconds()
	switch r.Limit {
	case auth.LimitUser:
		return fmt.Sprintf("too many failed logins for this user from new addresses (limit per user); try again in %.1fs, or from an address where you logged in before", wait)
	case auth.LimitUserAddress:
		return fmt.Sprintf("too many failed logins for this user from this address (limit per user and address); try again in %.1fs", wait)
	}
	return fmt.Sprintf("too many failed logins from this address (limit per address); try again in %.1fs", wait)
}

// certIdentity maps a verified client certificate to its user (auth's
// mapping, the only one). found is false when the client sent no
// certificate.
func (c *Core) certIdentity(peer Peer) (Identity, bool, error) {
	cs := peer.TLS
	if len(cs.PeerCertificates) == 0 {
		return Identity{}, false, nil
	}
	id := Identity{Method: auth.MethodCertificate, Detail: cs.PeerCertificates[0].Subject.String()}
	if len(cs.VerifiedChains) == 0 {
		return id, true, &AuthError{Message: "client certificate not verified", Reason: "unverified client certificate"}
	}
	user, err := auth.UserFromCert(cs.PeerCertificates[0], auth.CertMapping{Field: peer.CertUser})
	if err != nil {
		return id, true, &AuthError{Message: "the client certificate names no rwarden user", Reason: "certificate: " + err.Error()}
	}
	id.User = user
	if !c.policy.HasUser(user) {
		return id, true, &AuthError{Message: "the client certificate names no rwarden user", Reason: "certificate user has no policy"}
	}
	return id, true, nil
}

// peerIdentity maps the uid of a unix-socket peer to the local user name,
// which must be an rwarden user.
func (c *Core) peerIdentity(peer Peer) (Identity, error) {
	id := Identity{Method: auth.MethodPeerCred}
	if peer.Cred == nil {
		reason := "peer credentials: none"
		if peer.CredErr != nil {
			reason = "peer credentials: " + peer.CredErr.Error()
		}
		return id, &AuthError{Message: "cannot read the peer's credentials", Reason: reason}
	}
	uid := peer.Cred.UID
	id.Detail = fmt.Sprintf("uid=%d pid=%d", uid, peer.Cred.PID)
	user, err := auth.UserFromUID(uid)
	if err != nil {
		return id, &AuthError{Message: "your local user is not an rwarden user", Reason: fmt.Sprintf("uid %d: %v", uid, err)}
	}
	id.User = user
	if !c.policy.HasUser(user) {
		return id, &AuthError{Message: "your local user is not an rwarden user", Reason: fmt.Sprintf("uid %d (%s) has no policy", uid, user)}
	}
	return id, nil
}
