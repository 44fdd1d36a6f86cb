package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Python clients against the binary: rwarden's own framed client and a
// pyRserve-style QAP1 client, on the anonymous loopback listeners.
func TestPythonClients(t *testing.T) {
	needR(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	state, _ := prepareState(t)
	qport := freePort(t)
	s := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
`, qport), "pool: {warm: 1, max: 4}\n")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, port, err := net.SplitHostPort(s.addr)
	require.NoError(t, err)

	framedClient := filepath.Join("..", "..", "clients", "python", "rwarden_client.py")
	run := func(code string) (string, error) {
		cmd := exec.CommandContext(ctx, "python3", framedClient, "--hostname", "127.0.0.1", "--port", port, "--check")
		cmd.Stdin = strings.NewReader(code)
		out, err := cmd.Output()
		return string(out), err
	}
	out, err := run(`cat(sprintf("%d\n", 6L * 7L))`)
	require.NoError(t, err)
	assert.Equal(t, "42\n", out)
	out, err = run(`system("id")`)
	require.Error(t, err, "--check: an error answer exits non-zero")
	assert.Contains(t, out, "Error: not allowed by policy")
	assert.Contains(t, out, "base::system")

	qap := filepath.Join("..", "testdata", "qap1", "pyrserve_like.py")
	raw, err := exec.CommandContext(ctx, "python3", qap, "127.0.0.1", fmt.Sprint(qport), "1 + 1", `system("id")`).Output()
	require.NoError(t, err, "%s", raw)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Len(t, lines, 3, "%s", raw)
	var r struct {
		OK    bool
		Value any
		Error *string
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &r))
	assert.Equal(t, []any{2.0}, r.Value)
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &r))
	assert.False(t, r.OK)
	require.NotNil(t, r.Error)
	assert.Contains(t, *r.Error, "base::system", "the denial, read with geterrmessage()")
}
