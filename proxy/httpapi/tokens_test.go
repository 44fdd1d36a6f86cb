package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// tokenAudit lists the auth records made with API tokens, in order, but
// for the limiter's refusals.
func tokenAudit(t *testing.T, a *api) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{a.cfg.Audit.File}, audit.Filter{Event: audit.EventAuth}, func(r *audit.Record) error {
		if r.AuthMethod == string(auth.MethodToken) && r.Status != audit.StatusRateLimited {
			out = append(out, r)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// doPastLimiter evaluates with the Authorization header, first waiting
// out the failed-login limiter of the previous failures (its 429 is
// audited as rate_limited, not as the failure under test).
func (a *api) doPastLimiter(t *testing.T, body any, authz string) (int, http.Header, []byte) {
	t.Helper()
	for range 20 {
		code, hdr, b := a.do(t, nil, nil, "POST", "/v1/eval", body, "Authorization", authz)
		if code != http.StatusTooManyRequests {
			return code, hdr, b
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("still rate limited after 10s")
	return 0, nil, nil
}

// TestAPITokens: `Authorization: Bearer` with API tokens from the tokens
// file next to the users file, created and revoked while the server runs
// (as `rwarden token` does), over TLS with real R; every use audited.
func TestAPITokens(t *testing.T) {
	a := startAPI(t, nil)
	path := auth.TokensFileFor(a.cfg.UsersFile)
	now := time.Now()

	valid, validInfo, err := auth.CreateToken(path, "alice", time.Hour, now)
	require.NoError(t, err)
	expired, _, err := auth.CreateToken(path, "alice", time.Hour, now.Add(-2*time.Hour))
	require.NoError(t, err)
	revoked, revokedInfo, err := auth.CreateToken(path, "alice", time.Hour, now)
	require.NoError(t, err)
	_, err = auth.RevokeToken(path, revokedInfo.ID, now)
	require.NoError(t, err)
	nopolicy, _, err := auth.CreateToken(path, "nopolicy", time.Hour, now)
	require.NoError(t, err)
	forged := valid[:len(valid)-4] + "AAAA"
	if forged == valid {
		forged = valid[:len(valid)-4] + "BBBB"
	}

	eval := map[string]any{"code": `cat("hi\n"); 1+1`}
	code, _, body := a.do(t, nil, nil, "POST", "/v1/eval", eval, "Authorization", "Bearer "+valid)
	require.Equal(t, http.StatusOK, code, "%s", body)
	r := decode(t, body)
	assert.Equal(t, "hi\n[1] 2\n", r.Console)

	// The token is alice's: a policy denial is hers (system is denied to everyone).
	code, _, body = a.do(t, nil, nil, "POST", "/v1/eval", map[string]any{"code": `system("id")`}, "Authorization", "bearer "+valid)
	require.Equal(t, http.StatusForbidden, code, "%s", body)

	tests := []struct {
		name, header, reason string
	}{
		{"expired", "Bearer " + expired, "API token expired"},
		{"revoked", "Bearer " + revoked, "API token revoked"},
		{"wrong secret", "Bearer " + forged, "unknown API token"},
		{"user without policy", "Bearer " + nopolicy, "token user has no policy"},
		{"malformed", "Bearer rwt_short", "malformed API token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tokenAudit(t, a))
			code, hdr, body := a.doPastLimiter(t, eval, tc.header)
			require.Equal(t, http.StatusUnauthorized, code, "%s", body)
			assert.Contains(t, strings.Join(hdr.Values("WWW-Authenticate"), ","), "Bearer")
			assert.NotContains(t, string(body), tc.reason, "the client is not told why")
			recs := tokenAudit(t, a)
			require.Len(t, recs, before+1, "every refused token is audited")
			last := recs[len(recs)-1]
			assert.Equal(t, audit.StatusFailure, last.Status)
			assert.Equal(t, tc.reason, last.Error)
		})
	}

	t.Run("not a bearer token", func(t *testing.T) {
		for _, h := range []string{"Bearer", "Bearer ", "Bearer a b", "Token " + valid, "Bearer " + strings.Repeat("a", 17<<10)} {
			code, _, body := a.do(t, nil, nil, "POST", "/v1/eval", eval, "Authorization", h)
			assert.Equal(t, http.StatusUnauthorized, code, "%.40s: %s", h, body)
		}
	})

	// Revoking the valid token while the server runs takes effect on the
	// next request, and the server records the change of the file.
	_, err = auth.RevokeToken(path, validInfo.ID, time.Now())
	require.NoError(t, err)
	code, _, body = a.doPastLimiter(t, eval, "Bearer "+valid)
	require.Equal(t, http.StatusUnauthorized, code, "%s", body)

	recs := tokenAudit(t, a)
	var ok int
	for _, rec := range recs {
		assert.NotContains(t, rec.Detail["credential"], "rwt_", "the token never reaches the trail")
		if rec.Status == audit.StatusSuccess {
			ok++
			assert.Equal(t, "alice", rec.User)
			assert.Equal(t, "token "+validInfo.ID, rec.Detail["credential"])
		}
	}
	assert.Equal(t, 2, ok)
	var reloads []*audit.Record
	_, err = audit.Query([]string{a.cfg.Audit.File}, audit.Filter{Event: audit.EventTokensReload}, func(r *audit.Record) error {
		reloads = append(reloads, r)
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, reloads)
	lastReload := reloads[len(reloads)-1]
	assert.Equal(t, audit.StatusOK, lastReload.Status)
	assert.Contains(t, lastReload.Detail["revoked"], validInfo.ID)
}
