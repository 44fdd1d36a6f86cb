package httpapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

// issuer is a local OIDC provider on loopback TLS: its own RSA key, the
// discovery document and the JWKS, as a real identity provider serves them.
type issuer struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	caFile string
}

func startIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	is := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys",
			"authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	is.caFile = filepath.Join(t.TempDir(), "idp-ca.pem")
	require.NoError(t, os.WriteFile(is.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.srv.Certificate().Raw}), 0o600))
	return is
}

// token signs claims with key (the issuer's unless another is given).
func (is *issuer) token(t *testing.T, claims map[string]any, key *rsa.PrivateKey) string {
	t.Helper()
	if key == nil {
		key = is.key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	require.NoError(t, err)
	s, err := jwt.Signed(sig).Claims(claims).Serialize()
	require.NoError(t, err)
	return s
}

func (is *issuer) claims(mod func(map[string]any)) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": is.srv.URL, "aud": "rwarden", "sub": "u-123", "preferred_username": "alice",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	if mod != nil {
		mod(c)
	}
	return c
}

// oidcAudit returns the last auth record made with an OIDC token.
func oidcAudit(t *testing.T, a *api, n int) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{a.cfg.Audit.File}, audit.Filter{Event: audit.EventAuth}, func(r *audit.Record) error {
		if r.AuthMethod == string(auth.MethodOIDC) && r.Status != audit.StatusRateLimited {
			out = append(out, r)
		}
		return nil
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(out), n)
	return out
}

// TestOIDCBearer: tokens from a local issuer, verified by go-oidc against
// its JWKS over TLS, evaluate as the user they name or the role they map
// to; wrong audience, wrong issuer, expired and forged tokens are 401 and
// audited. Real R behind a TLS listener.
func TestOIDCBearer(t *testing.T) {
	is := startIssuer(t)
	a := startAPI(t, func(cfg *config.Config) {
		cfg.Listeners[0].OIDC = &config.OIDCConfig{Issuer: is.srv.URL, Audience: "rwarden",
			UserClaim: "preferred_username", RolesClaim: "groups",
			Roles: map[string]string{"r-guests": "guest", "r-nobody": "nopolicy"}, CAFile: is.caFile}
	})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	eval := map[string]any{"code": `cat("hi\n"); 1+1`}

	ok := []struct {
		name, user, detail string
		claims             map[string]any
	}{
		{"user claim", "alice", "preferred_username=alice", is.claims(nil)},
		{"mapped role", "guest", "role=r-guests", is.claims(func(c map[string]any) {
			c["preferred_username"] = "carol" // no policy of her own
			c["groups"] = []string{"r-other", "r-nobody", "r-guests"}
		})},
		{"role as a string", "guest", "role=r-guests", is.claims(func(c map[string]any) {
			delete(c, "preferred_username")
			c["groups"] = "r-guests"
		})},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := a.doPastLimiter(t, eval, "Bearer "+is.token(t, tc.claims, nil))
			require.Equal(t, http.StatusOK, code, "%s", body)
			assert.Equal(t, "hi\n[1] 2\n", decode(t, body).Console)
			recs := oidcAudit(t, a, 1)
			last := recs[len(recs)-1]
			assert.Equal(t, audit.StatusSuccess, last.Status)
			assert.Equal(t, tc.user, last.User)
			assert.Contains(t, last.Detail["credential"], "sub=u-123")
			assert.Contains(t, last.Detail["credential"], tc.detail)
		})
	}

	// The identity is the one the policy sees: alice (role:analyst) may
	// write files to her scratch directory, guest (role:restricted) may not.
	write := map[string]any{"code": `saveRDS(1, "x.rds")`}
	code, _, body := a.doPastLimiter(t, write, "Bearer "+is.token(t, ok[0].claims, nil))
	require.Equal(t, http.StatusOK, code, "%s", body)
	code, _, body = a.doPastLimiter(t, write, "Bearer "+is.token(t, ok[1].claims, nil))
	require.Equal(t, http.StatusForbidden, code, "%s", body)

	bad := []struct {
		name, reason string
		token        string
	}{
		{"wrong audience", "audience", is.token(t, is.claims(func(c map[string]any) { c["aud"] = "someone-else" }), nil)},
		{"wrong issuer", "different provider", is.token(t, is.claims(func(c map[string]any) { c["iss"] = "https://evil.example" }), nil)},
		{"expired", "expired", is.token(t, is.claims(func(c map[string]any) {
			c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		}), nil)},
		{"bad signature", "signature", is.token(t, is.claims(nil), other)},
		{"no rwarden user", "names no user", is.token(t, is.claims(func(c map[string]any) {
			c["preferred_username"], c["groups"] = "carol", []string{"r-nobody"}
		}), nil)},
		{"not a JWT", "malformed", "abc.def.ghi"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := len(oidcAudit(t, a, 0))
			code, _, body := a.doPastLimiter(t, eval, "Bearer "+tc.token)
			require.Equal(t, http.StatusUnauthorized, code, "%s", body)
			recs := oidcAudit(t, a, before+1)
			require.Len(t, recs, before+1, "every refused token is audited once")
			last := recs[len(recs)-1]
			assert.Equal(t, audit.StatusFailure, last.Status)
			assert.Contains(t, last.Error, tc.reason)
		})
	}
}
