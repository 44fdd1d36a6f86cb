package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 18: /metrics names the build, the seconds until each listener's
// certificate expires and the open sessions per role.
func TestE2EOperatorMetrics(t *testing.T) {
	e := startAdmin(t)
	q := dialQAP(t, "tcp", e.qap, nil)
	q.mustEval("1")

	code, body := e.get(t, "", "", "/metrics")
	require.Equal(t, http.StatusOK, code)
	assert.Regexp(t, `(?m)^rwarden_build_info\{commit="[^"]+",go="go1\.[^"]+",version="[^"]+"\} 1$`, body)
	assert.Regexp(t, `(?m)^rwarden_sessions_by_role\{role="role:restricted"\} 1$`, body, "guest's QAP1 session")
	assert.Regexp(t, `(?m)^rwarden_sessions_by_role\{role="role:admin"\} 0$`, body)
	assert.Regexp(t, `(?m)^rwarden_policy_reloads_total\{result="rejected"\} 0$`, body, "reload counters exist before the first reload")
	// The dev server certificate is valid for a year or so: more than a
	// month, less than ten years ahead.
	m := regexp.MustCompile(`(?m)^rwarden_certificate_expiry_seconds\{listener="admin ` + regexp.QuoteMeta(e.admin) + `"\} (\S+)$`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	secs, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.Greater(t, secs, (30 * 24 * time.Hour).Seconds())
	assert.Less(t, secs, (10 * 365 * 24 * time.Hour).Seconds())
}

// `serve --log-format json` writes one JSON object per line.
func TestE2ELogFormatJSON(t *testing.T) {
	needR(t)
	state, _ := prepareState(t)
	port := freePort(t)
	cfgFile := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:%d"
    plaintext: true
    anonymous_user: guest
pool: {warm: 1, max: 2}
`, state, port)), 0o600))
	cmd := exec.Command(bin, "serve", "--config", cfgFile, "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	lines := 0
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), "not JSON: %s", sc.Text())
		require.Contains(t, rec, "time")
		require.Contains(t, rec, "level")
		lines++
		if rec["msg"] == "listening" {
			assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", port), rec["address"])
			break
		}
	}
	assert.Greater(t, lines, 1)
	go func() {
		for sc.Scan() {
		}
	}()

	out, err := exec.Command(bin, "serve", "--config", cfgFile, "--log-format", "xml").CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), `--log-format: "xml" is neither text nor json`)
}
