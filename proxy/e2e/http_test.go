package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
)

// The real binary with a `protocol: http` listener from a configuration
// file: a one-shot evaluation, a denial and a missing login, over TLS with
// curl (issue 15).
func TestE2EHTTPListener(t *testing.T) {
	needR(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	l := st.Config.Listeners[0]
	port := freePort(t)
	serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: http
    tls: {cert: %s, key: %s}
`, port, l.TLS.Cert, l.TLS.Key), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
	url := fmt.Sprintf("https://127.0.0.1:%d/v1/eval", port)
	curl := func(user, code string) (status, body string) {
		args := []string{"-s", "--cacert", st.PKI.CACertPath, "-w", "\n%{http_code}", "--json", code, url}
		if user != "" {
			args = append(args, "-u", user)
		}
		out, err := exec.Command("curl", args...).Output()
		require.NoError(t, err)
		i := strings.LastIndex(string(out), "\n")
		return string(out[i+1:]), string(out[:i])
	}
	status, body := curl("alice:"+alicePassword, `{"code": "x <- c(a = 1, b = 2); x * 21"}`)
	assert.Equal(t, "200", status, body)
	assert.Contains(t, body, `"console":" a  b \n21 42 \n"`)
	assert.Contains(t, body, `"value":[21,42]`)

	status, body = curl("alice:"+alicePassword, `{"code": "system('id')"}`)
	assert.Equal(t, "403", status, body)
	assert.Contains(t, body, `"function":"base::system"`)

	status, _ = curl("", `{"code": "1"}`)
	assert.Equal(t, "401", status)
}
