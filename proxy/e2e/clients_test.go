package e2e

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rwarden's Python client against the binary, on the anonymous loopback
// listener (the pyRserve-style QAP1 client is in pyrserve_test.go).
func TestPythonClient(t *testing.T) {
	needR(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	state, _ := prepareState(t)
	s := serve(t, state, "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
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
}
