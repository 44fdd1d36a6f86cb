package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real binary: `rwarden token create` while `rwarden serve` runs, the
// token used with curl over TLS, `rwarden token revoke`, the next request
// refused; the server's audit trail records the file's changes and still
// verifies (issue 15, API tokens).
func TestE2EAPITokens(t *testing.T) {
	needR(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	state, st := prepareState(t)
	l := st.Config.Listeners[0]
	port := freePort(t)
	serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: http
    tls: {cert: %s, key: %s}
`, port, l.TLS.Cert, l.TLS.Key), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
	users := filepath.Join(state, "users.txt")
	token := func(args ...string) (string, string) {
		cmd := exec.Command(bin, append([]string{"token"}, append(args, "--users", users)...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		return strings.TrimSpace(string(out)), stderr.String()
	}
	curl := func(tok string) (status, body string) {
		out, err := exec.Command("curl", "-s", "--cacert", st.PKI.CACertPath, "-w", "\n%{http_code}",
			"-H", "Authorization: Bearer "+tok, "--json", `{"code": "6 * 7"}`,
			fmt.Sprintf("https://127.0.0.1:%d/v1/eval", port)).Output()
		require.NoError(t, err)
		i := strings.LastIndex(string(out), "\n")
		return string(out[i+1:]), string(out[:i])
	}

	tok, msg := token("create", "--user", "demo", "--expires", "1d")
	require.True(t, strings.HasPrefix(tok, "rwt_"), tok)
	id := tok[4:20]
	assert.Contains(t, msg, id)
	status, body := curl(tok)
	require.Equal(t, "200", status, body)
	assert.Contains(t, body, `"value":[42]`)

	list, _ := token("list")
	assert.Contains(t, list, id+" demo ")
	assert.Contains(t, list, " valid")

	token("revoke", id)
	status, body = curl(tok)
	assert.Equal(t, "401", status, body)
	assert.NotContains(t, body, "revoked", "the client is not told why")

	trail, err := os.ReadFile(filepath.Join(state, "audit.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(trail), `"event":"tokens_reload"`)
	assert.Contains(t, string(trail), `"error":"API token revoked"`)
	assert.NotContains(t, string(trail), tok[21:], "the token never reaches the trail")
	out, err := exec.Command(bin, "audit", "verify", filepath.Join(state, "audit.jsonl")).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
