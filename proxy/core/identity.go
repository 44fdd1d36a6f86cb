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
// success and failure is logged and audited; failures are rate-limited per
// user and per source address. A refusal is an *AuthError.
func (c *Core) Authenticate(ctx context.Context, peer Peer, creds *Credentials) (Identity, error) {
	id, err := c.identify(ctx, peer, creds)
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
	if wait, ok := c.limiter.Check(creds.User, peer.Remote); !ok {
		return id, &AuthError{Message: fmt.Sprintf("too many failed logins; try again in %.1fs", max(wait, 100*time.Millisecond).Seconds()),
			Reason: "rate limited", RateLimited: true}
	}
	if err := c.users.Verify(ctx, creds.User, creds.Password); err != nil {
		if errors.Is(err, auth.ErrRateLimited) {
			return id, &AuthError{Message: "too many logins in progress; try again shortly", Reason: "login queue full", RateLimited: true}
		}
		c.limiter.Failure(creds.User, peer.Remote)
		if !errors.Is(err, auth.ErrBadCredentials) {
			refused.Reason = err.Error()
		}
		return id, refused
	}
	if !c.policy.HasUser(creds.User) {
		// A password without a policy is no rwarden user: same answer as a
		// wrong password, the reason only in the trail.
		c.limiter.Failure(creds.User, peer.Remote)
		refused.Reason = "user has a password but no policy"
		return id, refused
	}
	c.limiter.Success(creds.User, peer.Remote)
	return id, nil
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
