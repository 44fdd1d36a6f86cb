package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

const adminPassword = "admin-password-9"

var admin = &creds{"admin", adminPassword}

type auditAnswer struct {
	Records []struct {
		Event    string `json:"event"`
		User     string `json:"user"`
		Decision string `json:"decision"`
		Seq      uint64 `json:"seq"`
	} `json:"records"`
	Chain struct {
		OK      bool   `json:"ok"`
		Checked int    `json:"checked"`
		Break   string `json:"break"`
	} `json:"chain"`
}

// TestAuditView: GET /v1/audit is for admins only (a refusal is itself
// audited), filters, answers newest first, and reports the chain intact.
func TestAuditView(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) {
		require.NoError(t, auth.AddUser(cfg.UsersFile, "admin", []byte(adminPassword), cheapArgon))
	})

	code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": `system("id")`})
	require.Equal(t, http.StatusForbidden, code, "%s", body)
	code, _, body = a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "1+1"})
	require.Equal(t, http.StatusOK, code, "%s", body)

	code, _, body = a.do(t, nil, alice, "GET", "/v1/audit", nil)
	require.Equal(t, http.StatusForbidden, code, "%s", body)

	var all auditAnswer
	code, _, body = a.do(t, nil, admin, "GET", "/v1/audit?limit=1000", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.NoError(t, json.Unmarshal(body, &all))
	assert.True(t, all.Chain.OK, "chain: %+v", all.Chain)
	assert.Greater(t, all.Chain.Checked, 3)
	require.NotEmpty(t, all.Records)
	for i := 1; i < len(all.Records); i++ {
		assert.Greater(t, all.Records[i-1].Seq, all.Records[i].Seq, "newest first")
	}
	refused := false
	for _, r := range all.Records {
		refused = refused || (r.User == "alice" && r.Event == "access_denied")
	}
	assert.True(t, refused, "alice's refused audit view is in the trail")

	var denied auditAnswer
	code, _, body = a.do(t, nil, admin, "GET", "/v1/audit?user=alice&decision=denied", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.NoError(t, json.Unmarshal(body, &denied))
	require.NotEmpty(t, denied.Records)
	for _, r := range denied.Records {
		assert.Equal(t, "alice", r.User)
		assert.Equal(t, "denied", r.Decision)
	}

	for _, q := range []string{"limit=0", "limit=x", "since=yesterday"} {
		code, _, body = a.do(t, nil, admin, "GET", "/v1/audit?"+q, nil)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", q, body)
	}
}
