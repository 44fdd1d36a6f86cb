package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

// OIDC bearer tokens are verified by github.com/coreos/go-oidc (signature
// against the issuer's JWKS, issuer, audience, expiry); this file only
// fetches the issuer's discovery document and keys over TLS and maps the
// verified claims to an rwarden user.

const (
	// oidcFetchTimeout bounds one request to the issuer.
	oidcFetchTimeout = 10 * time.Second
	// oidcRetryAfter is how long a failed discovery is not retried: a
	// down issuer must not be hit by every request.
	oidcRetryAfter = 10 * time.Second
	// oidcMaxBody bounds the issuer's answers (go-oidc reads them whole).
	oidcMaxBody = 1 << 20
	// maxClaimLen bounds what of a claim reaches the audit trail.
	maxClaimLen = 256
)

// oidcVerifier verifies the tokens of one listener's issuer. Discovery
// happens on first use, not at start-up, so that rwarden starts (and its
// other logins work) while the issuer is unreachable.
type oidcVerifier struct {
	cfg    config.OIDCConfig
	client *http.Client

	mu      sync.Mutex
	v       *oidc.IDTokenVerifier
	lastTry time.Time
	lastErr error
}

// newOIDCVerifiers builds a verifier per listener with an oidc block,
// keyed by the listener's address (Peer.Listener). The CA file is read
// now, so that a wrong path fails at start-up.
func newOIDCVerifiers(cfg *config.Config) (map[string]*oidcVerifier, error) {
	out := map[string]*oidcVerifier{}
	for _, l := range cfg.Listeners {
		if l.OIDC == nil {
			continue
		}
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if l.OIDC.CAFile != "" {
			pem, err := os.ReadFile(l.OIDC.CAFile)
			if err != nil {
				return nil, fmt.Errorf("listener %s: oidc ca_file: %w", l.Address, err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("listener %s: oidc ca_file %s: no PEM certificate", l.Address, l.OIDC.CAFile)
			}
		}
		tr := &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment,
			TLSHandshakeTimeout: oidcFetchTimeout, ResponseHeaderTimeout: oidcFetchTimeout}
		out[l.Address] = &oidcVerifier{cfg: *l.OIDC,
			client: &http.Client{Timeout: oidcFetchTimeout, Transport: limitedBody{tr}}}
	}
	return out, nil
}

// limitedBody cuts the issuer's answers at oidcMaxBody.
type limitedBody struct{ rt http.RoundTripper }

func (l limitedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(r)
	if err == nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, oidcMaxBody), resp.Body}
	}
	return resp, err
}

// verifier returns the issuer's verifier, discovering it on first use.
func (o *oidcVerifier) verifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.v != nil {
		return o.v, nil
	}
	if o.lastErr != nil && time.Since(o.lastTry) < oidcRetryAfter {
		return nil, o.lastErr
	}
	o.lastTry = time.Now()
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.client), oidcFetchTimeout)
	defer cancel()
	// The provider keeps the client (not the deadline) for its JWKS fetches.
	p, err := oidc.NewProvider(dctx, o.cfg.Issuer)
	if err != nil {
		o.lastErr = fmt.Errorf("oidc discovery at %s: %w", o.cfg.Issuer, err)
		return nil, o.lastErr
	}
	o.v, o.lastErr = p.Verifier(&oidc.Config{ClientID: o.cfg.Audience}), nil
	return o.v, nil
}

// oidcIdentity verifies an OIDC token on a listener configured for it and
// maps it to an rwarden user: the user claim when it names a user with a
// policy, otherwise the first value of the roles claim that the listener
// maps to one. The Identity's Detail keeps the issuer's subject, so that
// the trail says who was behind a mapped role.
func (c *Core) oidcIdentity(ctx context.Context, tok string, peer Peer) (Identity, error) {
	id := Identity{Method: auth.MethodOIDC}
	o := c.oidc[peer.Listener]
	if o == nil {
		return id, &AuthError{Message: "the bearer token was not accepted", Reason: "not an API token, and this listener accepts no OIDC tokens"}
	}
	at, lim := c.limiter.Begin("", peer.Remote)
	if lim != nil {
		return id, c.bearerLimited(lim)
	}
	v, err := o.verifier(ctx)
	if err != nil {
		c.log.Error("OIDC issuer unavailable", "issuer", o.cfg.Issuer, "err", err)
		return id, &AuthError{Message: "the bearer token was not accepted", Reason: "oidc issuer unavailable: " + err.Error()}
	}
	vctx, cancel := context.WithTimeout(ctx, oidcFetchTimeout)
	defer cancel()
	t, err := v.Verify(vctx, tok)
	if err != nil {
		at.Failed()
		return id, &AuthError{Message: "the bearer token was not accepted", Reason: "oidc: " + clip(strings.TrimPrefix(err.Error(), "oidc: "), maxClaimLen)}
	}
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return id, &AuthError{Message: "the bearer token was not accepted", Reason: "oidc claims: " + clip(err.Error(), maxClaimLen)}
	}
	name, _ := claims[o.cfg.UserClaim].(string)
	id.Detail = clip(fmt.Sprintf("oidc iss=%s sub=%s %s=%s", t.Issuer, t.Subject, o.cfg.UserClaim, name), maxClaimLen)
	if auth.ValidUserName(name) && c.policy.HasUser(name) {
		id.User = name
		return id, nil
	}
	for _, role := range claimStrings(claims[o.cfg.RolesClaim]) {
		if u, ok := o.cfg.Roles[role]; ok && c.policy.HasUser(u) {
			id.User = u
			id.Detail = clip(id.Detail+" role="+role, maxClaimLen)
			return id, nil
		}
	}
	return id, &AuthError{Message: "the bearer token names no rwarden user", Reason: "oidc: the user claim names no user with a policy, and no role maps to one"}
}

// claimStrings reads a claim that is a string or a list of strings.
func claimStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
