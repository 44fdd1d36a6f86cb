package proxy

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
)

// withHTTP adds an HTTP API listener (TLS, as the embedded defaults have
// it) as the fourth listener.
func withHTTP(cfg *config.Config) {
	h := cfg.Listeners[0]
	h.Address, h.Protocol = "127.0.0.1:0", config.ProtocolHTTP
	cfg.Listeners = append(cfg.Listeners, h)
}

// readmeCommands are the commands of the README's HTTP example, with
// continuation lines joined.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- http-example[^>]*-->\\s*```sh\\n(.*?)```\\s*<!-- /http-example -->").FindSubmatch(b)
	require.NotNil(t, m, "the README's HTTP example")
	var cmds []string
	var cur strings.Builder
	for _, line := range strings.Split(string(m[1]), "\n") {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\"))
			continue
		}
		cur.WriteString(line)
		cmds = append(cmds, cur.String())
		cur.Reset()
	}
	require.Len(t, cmds, 2)
	return cmds
}

// TestE2EHTTPReadmeExample runs the README's curl example against a
// server with an HTTP listener, as the demo user of the embedded defaults.
func TestE2EHTTPReadmeExample(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	e := startE2E(t, withHTTP)
	addr := e.srv.Addr(3).String()
	run := func(cmd string) (string, time.Duration) {
		cmd = strings.ReplaceAll(cmd, ".state/pki/ca.pem", e.pki.CACertPath)
		cmd = strings.ReplaceAll(cmd, "127.0.0.1:9444", addr)
		c := exec.Command("sh", "-c", cmd)
		c.Env = append(os.Environ(), "RWARDEN_PASSWORD="+e.demoPassword)
		start := time.Now()
		out, err := c.Output()
		require.NoError(t, err, "%s\n%s", cmd, out)
		return string(out), time.Since(start)
	}
	cmds := readmeCommands(t)

	out, _ := run(cmds[0])
	var res struct {
		Status  string
		Console string
		Value   []float64
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, "ok", res.Status)
	assert.Contains(t, res.Console, "Median")
	assert.Equal(t, []float64{4, 12, 15, 15.4, 19, 25}, res.Value)

	out, took := run(cmds[1])
	assert.Equal(t, 3, strings.Count(out, "event: console\n"), out)
	assert.Contains(t, out, "event: done\n")
	assert.GreaterOrEqual(t, took, 3*time.Second)
}

// TestE2EHTTPSameAsFramed: one core behind both front ends, so the same
// code is denied for the same reason, and both are audited with their
// protocol.
func TestE2EHTTPSameAsFramed(t *testing.T) {
	e := startE2E(t, withHTTP)
	code := "x <- 1\ny <- system(\"id\")"
	ans := e.evalPlain(t, code)
	assert.Contains(t, ans, "2:6 base::system (call)")
	framedRec := e.lastEval(t)

	addr := e.srv.Addr(3).String()
	body, _ := json.Marshal(map[string]string{"code": code})
	out, err := exec.Command("curl", "-s", "--cacert", e.pki.CACertPath, "-u", "alice:"+alicePassword,
		"-w", "\n%{http_code}", "--json", string(body), "https://"+addr+"/v1/eval").Output()
	require.NoError(t, err)
	i := strings.LastIndex(string(out), "\n")
	resp, status := string(out[:i]), string(out[i+1:])
	assert.Equal(t, "403", status)
	var res struct {
		Status     string
		Violations []struct {
			Function  string
			Line, Col int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(resp), &res), resp)
	require.Len(t, res.Violations, 1)
	assert.Equal(t, "base::system", res.Violations[0].Function)
	assert.Equal(t, 2, res.Violations[0].Line)
	assert.Equal(t, 6, res.Violations[0].Col)

	httpRec := e.lastEval(t)
	assert.Equal(t, audit.DecisionDenied, framedRec.Decision)
	assert.Equal(t, audit.DecisionDenied, httpRec.Decision)
	assert.Equal(t, "framed", framedRec.Protocol)
	assert.Equal(t, "http", httpRec.Protocol)
	assert.Equal(t, "alice", httpRec.User)
	assert.Equal(t, framedRec.Violations, httpRec.Violations)
}
