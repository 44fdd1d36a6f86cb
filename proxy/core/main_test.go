package core

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/setup"
)

// TestMain lets this test binary serve as the worker init, as rwarden does.
func TestMain(m *testing.M) { workertest.Main(m) }

func sharedPolicyCache(t testing.TB) string { return workertest.PolicyCache(t) }

func needR(t *testing.T) { workertest.NeedR(t) }

// cheapArgon keeps test logins fast; production uses auth.DefaultParams.
var cheapArgon = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testConfig is the embedded defaults' state (dev PKI, shipped policies, the
// demo user, an analyst) in a fresh directory, with a small pool.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	state, err := os.MkdirTemp("", "rwarden-core-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, cheapArgon)
	require.NoError(t, err)
	cfg := st.Config
	cfg.Pool.Warm, cfg.Pool.Max = 0, 8
	cfg.Pool.AcquireTimeout = config.Duration(2 * time.Minute)
	return cfg
}

// openCore opens a core on cfg and closes it when the test ends.
func openCore(t *testing.T, cfg *config.Config) *Core {
	t.Helper()
	c, err := Open(context.Background(), cfg, Options{
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		PolicyCacheDir: sharedPolicyCache(t),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Stop()) })
	return c
}
