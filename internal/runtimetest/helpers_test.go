package runtimetest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary serve as the worker init: workers re-execute
// the running executable with InitCommand, as rwarden does.
func TestMain(m *testing.M) { workertest.Main(m) }

func needR(t *testing.T) { workertest.NeedR(t) }

func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// fixture is a policy engine on the shipped policies/ and a pool of real
// sandboxed workers.
type fixture struct {
	eng  *policy.Engine
	pool *sandbox.Pool
	lim  sandbox.Limits
	root string // the workers' scratch root: their home, working and temporary directories
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	needR(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := policy.Open(ctx, policy.Config{Dir: repoFile("policies"), CacheDir: t.TempDir(), Logger: quiet})
	require.NoError(t, err)
	root, err := os.MkdirTemp("", "rwarden-runtimetest-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	require.NoError(t, os.Chmod(root, 0o711))
	lim := sandbox.DefaultLimits()
	lim.Wall = 60 * time.Second
	pool, err := sandbox.NewPool(sandbox.Config{ScratchRoot: root, Warm: 2, Max: 4, MaxLimits: lim, WarmLimits: lim, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &fixture{eng: eng, pool: pool, lim: lim, root: root}
}

// runtimeAllowlist is what the proxy hands the sandbox for user, with the
// guards.
func (f *fixture) runtimeAllowlist(t *testing.T, user string) *sandbox.Allowlist {
	t.Helper()
	a, err := f.eng.Allowlist(user)
	require.NoError(t, err)
	return core.SandboxAllowlist(a)
}

// run evaluates code in a fresh session bound to al (nil: unrestricted).
func (f *fixture) run(t *testing.T, user string, al *sandbox.Allowlist, code string) *sandbox.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := f.pool.Acquire(ctx, sandbox.Binding{User: user, Limits: f.lim, Allowlist: al})
	require.NoError(t, err)
	defer s.Close()
	res, err := s.Eval(ctx, code, sandbox.EvalOptions{}, nil)
	require.NoError(t, err)
	return res
}

// plainR runs a script with Rscript in a fresh directory and returns what
// it printed (stdout and stderr, as R's console shows them).
func plainR(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(sandbox.DefaultRHome, "bin", "Rscript"), "--vanilla", "-")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
