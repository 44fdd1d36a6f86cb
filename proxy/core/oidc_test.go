package core

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// The issuer is reached over verified TLS only: without its CA in ca_file
// (and not in the system's pool) discovery fails; answers are bounded;
// and a failed discovery is not retried by every request.
func TestOIDCDiscoveryTLS(t *testing.T) {
	var hits atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down/.well-known/openid-configuration":
			hits.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys",
				"authorization_endpoint": srv.URL + "/a", "token_endpoint": srv.URL + "/t"})
		case "/big/.well-known/openid-configuration":
			_, _ = w.Write([]byte(`{"issuer": "` + strings.Repeat("x", 2<<20) + `"}`))
		}
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	verifier := func(issuer, caFile string) *oidcVerifier {
		cfg := &config.Config{Listeners: []config.ListenerConfig{{Address: "x", Protocol: config.ProtocolHTTP,
			OIDC: &config.OIDCConfig{Issuer: issuer, Audience: "a", UserClaim: "sub", CAFile: caFile}}}}
		vs, err := newOIDCVerifiers(cfg)
		require.NoError(t, err)
		return vs["x"]
	}
	ctx := context.Background()

	v := verifier(srv.URL, "")
	_, err := v.verifier(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate", "an issuer the system does not trust is refused")

	down := verifier(srv.URL+"/down", ca)
	for range 3 {
		_, err = down.verifier(ctx)
		require.Error(t, err)
	}
	assert.Equal(t, int32(1), hits.Load(), "a failed discovery is not retried at once")

	_, err = verifier(srv.URL, ca).verifier(ctx)
	require.NoError(t, err, "with its CA in ca_file")

	_, err = verifier(srv.URL+"/big", ca).verifier(ctx)
	require.Error(t, err, "an answer over 1 MiB is cut and fails to parse")

	bad := filepath.Join(t.TempDir(), "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("no pem"), 0o600))
	cfg := &config.Config{Listeners: []config.ListenerConfig{{Address: "x", OIDC: &config.OIDCConfig{Issuer: srv.URL, CAFile: bad}}}}
	_, err = newOIDCVerifiers(cfg)
	require.Error(t, err, "a CA file without certificates fails at start-up")
}
