package sandbox

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary serve as the worker init: workers re-execute
// the running executable with InitCommand, as rwarden does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == InitCommand {
		InitMain(os.Args[2:])
		os.Exit(InitFailedStatus)
	}
	if which := os.Getenv(filterEnv); which != "" {
		filterChildMain(which, os.Getenv(filterEnv+"_DIR"))
	}
	os.Exit(m.Run())
}

// needR skips integration tests when R is not installed or -short is set.
func needR(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test with real R (skipped by -short)")
	}
	if _, err := os.Stat(filepath.Join(DefaultRHome, "bin", "exec", "R")); err != nil {
		t.Skip("R is not installed (make deps installs it)")
	}
}

// scratchRoot makes a scratch root reachable by worker uids: directly under
// the system temp dir (t.TempDir's parents are 0700).
func scratchRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rwarden-test-scratch-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o711))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func testLimits() Limits {
	return Limits{Wall: 20 * time.Second, CPU: 20 * time.Second, Memory: 2 << 30, Output: 1 << 20,
		SessionWall: 5 * time.Minute, SessionCPU: 5 * time.Minute}
}

func newTestPool(t *testing.T, mod func(*Config)) *Pool {
	t.Helper()
	needR(t)
	cfg := Config{
		ScratchRoot: scratchRoot(t),
		MaxLimits:   testLimits(),
		WarmLimits:  testLimits(),
		Warm:        1,
		Max:         4,
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := NewPool(cfg)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func acquire(t *testing.T, p *Pool, lim Limits) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := p.Acquire(ctx, Binding{User: "test", Limits: lim})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// run evaluates code in a fresh session and returns the result.
func run(t *testing.T, p *Pool, lim Limits, code string) *Result {
	t.Helper()
	s := acquire(t, p, lim)
	defer s.Close()
	return eval(t, s, code)
}

func eval(t *testing.T, s *Session, code string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := s.Eval(ctx, code, EvalOptions{}, nil)
	require.NoError(t, err)
	return res
}

// localR evaluates code in an unsandboxed R, for comparing results.
func localR(t *testing.T, code string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(DefaultRHome, "bin", "Rscript"), "--vanilla", "-e", code).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}
