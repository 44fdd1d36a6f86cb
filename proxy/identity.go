package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// Credentials a client presents in-band (the framed AUTH line, QAP1 login).
type Credentials struct {
	User     string
	Password []byte
}

// authFailure is a refused authentication: Answer is for the client (it
// never says whether the user exists), Reason for logs and the audit trail.
type authFailure struct {
	Answer      string
	Reason      string
	RateLimited bool
}

func (e *authFailure) Error() string { return e.Reason }

var errNoCredentials = &authFailure{
	Answer: "Error: authentication required: send an AUTH line, connect with a client certificate, or use a listener with an anonymous user\n",
	Reason: "no credentials",
}

// Identify decides who a connection is, in this order: in-band credentials
// (a password), a verified client certificate, the peer credentials of a
// unix socket, the listener's anonymous user. Every identity must be an
// rwarden user (one with a policy); a certificate or uid that maps to no
// rwarden user is refused rather than falling back to anonymous. Every
// success and failure is logged and audited; failures are rate-limited per
// user and per source address.
func (srv *Server) Identify(ctx context.Context, conn net.Conn, l *ListenerConfig, creds *Credentials, ci ConnInfo) (auth.Identity, error) {
	id, err := srv.identify(ctx, conn, l, creds, ci)
	rec := &audit.Record{Event: audit.EventAuth, User: id.User, AuthMethod: string(id.Method),
		Remote: ci.Remote, Listener: ci.Listener, Protocol: ci.Protocol}
	var af *authFailure
	switch {
	case err == nil:
		rec.Status = audit.StatusSuccess
		srv.metrics.auth.WithLabelValues(string(id.Method), "success").Inc()
		srv.log.Info("authenticated", "user", id.User, "method", id.Method, "remote", ci.Remote, "listener", ci.Listener)
	case errors.As(err, &af):
		rec.Status = audit.StatusFailure
		if af.RateLimited {
			rec.Status = audit.StatusRateLimited
		}
		rec.Error = af.Reason
		srv.metrics.auth.WithLabelValues(string(id.Method), rec.Status).Inc()
		srv.log.Warn("authentication refused", "user", id.User, "method", id.Method, "remote", ci.Remote, "reason", af.Reason)
	default:
		return id, err
	}
	if aerr := srv.audit.Append(ctx, rec); aerr != nil {
		srv.log.Error("AUDIT WRITE FAILED: refusing the connection", "err", aerr)
		return auth.Identity{}, &authFailure{Answer: "Error: service unavailable: the audit log cannot be written\n", Reason: "audit unavailable"}
	}
	return id, err
}

func (srv *Server) identify(ctx context.Context, conn net.Conn, l *ListenerConfig, creds *Credentials, ci ConnInfo) (auth.Identity, error) {
	if creds != nil {
		return srv.passwordIdentity(ctx, creds, ci)
	}
	if tc, ok := conn.(*tls.Conn); ok {
		if id, found, err := srv.certIdentity(tc, l); found || err != nil {
			return id, err
		}
	}
	if l.IsUnix() {
		return srv.peerIdentity(conn)
	}
	if l.AnonymousUser != "" {
		id := auth.Identity{User: l.AnonymousUser, Method: auth.MethodAnonymous, Detail: ci.Remote}
		if !srv.policy.HasUser(id.User) {
			return id, &authFailure{Answer: "Error: this listener's anonymous user has no policy\n", Reason: "anonymous user has no policy"}
		}
		return id, nil
	}
	return auth.Identity{}, errNoCredentials
}

func (srv *Server) passwordIdentity(ctx context.Context, creds *Credentials, ci ConnInfo) (auth.Identity, error) {
	id := auth.Identity{User: creds.User, Method: auth.MethodPassword, Detail: ci.Remote}
	refused := &authFailure{Answer: "Error: authentication failed\n", Reason: "bad credentials"}
	if wait, ok := srv.limiter.Check(creds.User, ci.Remote); !ok {
		return id, &authFailure{Answer: fmt.Sprintf("Error: too many failed logins; try again in %.1fs\n", max(wait, 100*time.Millisecond).Seconds()),
			Reason: "rate limited", RateLimited: true}
	}
	if err := srv.users.Verify(ctx, creds.User, creds.Password); err != nil {
		if errors.Is(err, auth.ErrRateLimited) {
			return id, &authFailure{Answer: "Error: too many logins in progress; try again shortly\n", Reason: "login queue full", RateLimited: true}
		}
		srv.limiter.Failure(creds.User, ci.Remote)
		if !errors.Is(err, auth.ErrBadCredentials) {
			refused.Reason = err.Error()
		}
		return id, refused
	}
	if !srv.policy.HasUser(creds.User) {
		// A password without a policy is no rwarden user: same answer as a
		// wrong password, the reason only in the trail.
		srv.limiter.Failure(creds.User, ci.Remote)
		refused.Reason = "user has a password but no policy"
		return id, refused
	}
	srv.limiter.Success(creds.User, ci.Remote)
	return id, nil
}

// certIdentity maps a verified client certificate to its user. found is
// false when the client sent no certificate.
func (srv *Server) certIdentity(tc *tls.Conn, l *ListenerConfig) (auth.Identity, bool, error) {
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return auth.Identity{}, false, nil
	}
	id := auth.Identity{Method: auth.MethodCertificate, Detail: cs.PeerCertificates[0].Subject.String()}
	if len(cs.VerifiedChains) == 0 {
		return id, true, &authFailure{Answer: "Error: client certificate not verified\n", Reason: "unverified client certificate"}
	}
	user, err := auth.UserFromCert(cs.PeerCertificates[0], auth.CertMapping{Field: l.TLS.CertUser})
	if err != nil {
		return id, true, &authFailure{Answer: "Error: the client certificate names no rwarden user\n", Reason: "certificate: " + err.Error()}
	}
	id.User = user
	if !srv.policy.HasUser(user) {
		return id, true, &authFailure{Answer: "Error: the client certificate names no rwarden user\n", Reason: "certificate user has no policy"}
	}
	return id, true, nil
}

// peerIdentity maps the uid of a unix-socket peer to the local user name,
// which must be an rwarden user.
func (srv *Server) peerIdentity(conn net.Conn) (auth.Identity, error) {
	uid, _, pid, err := PeerCredentials(conn)
	id := auth.Identity{Method: auth.MethodPeerCred, Detail: fmt.Sprintf("uid=%d pid=%d", uid, pid)}
	if err != nil {
		return id, &authFailure{Answer: "Error: cannot read the peer's credentials\n", Reason: "peer credentials: " + err.Error()}
	}
	user, err := auth.UserFromUID(uid)
	if err != nil {
		return id, &authFailure{Answer: "Error: your local user is not an rwarden user\n", Reason: fmt.Sprintf("uid %d: %v", uid, err)}
	}
	id.User = user
	if !srv.policy.HasUser(user) {
		return id, &authFailure{Answer: "Error: your local user is not an rwarden user\n", Reason: fmt.Sprintf("uid %d (%s) has no policy", uid, user)}
	}
	return id, nil
}
