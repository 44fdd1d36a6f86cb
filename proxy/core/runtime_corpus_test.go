package core

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runtime layer on its own (issue 3, acceptance 2 and 3): the escape
// corpus that policy check denies statically is run, without any static
// check, in real sandboxed workers bound to guest's and alice's runtime
// allowlists. Each must fail with "not allowed" or "could not find" and
// never reach the function it was after; the benign corpus runs for alice.
func TestRuntimeAllowlistCorpora(t *testing.T) {
	needR(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := policy.Open(ctx, policy.Config{Dir: repoFile("policies"), CacheDir: t.TempDir(), Logger: quiet})
	require.NoError(t, err)
	root, err := os.MkdirTemp("", "rwarden-corpus-")
	require.NoError(t, err)
	defer os.RemoveAll(root)
	require.NoError(t, os.Chmod(root, 0o711))
	lim := sandbox.DefaultLimits()
	lim.Wall = 30 * time.Second
	pool, err := sandbox.NewPool(sandbox.Config{ScratchRoot: root, Warm: 2, Max: 4, MaxLimits: lim, WarmLimits: lim, Logger: quiet})
	require.NoError(t, err)
	defer pool.Close()

	run := func(t *testing.T, user, code string) *sandbox.Result {
		a, err := eng.Allowlist(user)
		require.NoError(t, err)
		s, err := pool.Acquire(ctx, sandbox.Binding{User: user, Limits: lim,
			Allowlist: SandboxAllowlist(a)})
		require.NoError(t, err)
		defer s.Close()
		res, err := s.Eval(ctx, code, sandbox.EvalOptions{}, nil)
		require.NoError(t, err)
		return res
	}

	escapes, err := filepath.Glob(repoFile("policy", "testdata", "escapes", "*.R"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(escapes), 60)
	refused := regexp.MustCompile(`not allowed|could not find`)
	for _, user := range []string{"guest", "alice"} {
		for _, f := range escapes {
			code, err := os.ReadFile(f)
			require.NoError(t, err)
			t.Run(user+"/"+filepath.Base(f), func(t *testing.T) {
				res := run(t, user, string(code))
				require.NotEqual(t, sandbox.StatusOK, res.Status, "the escape ran to the end; output: %s", clip(string(res.Output), 500))
				assert.Regexp(t, refused, res.Error)
				// Evidence of reaching a shell or another process's data.
				for _, marker := range []string{"uid=", "root:x:0:0", "PWNED"} {
					assert.NotContains(t, string(res.Output), marker)
				}
			})
		}
	}

	benign, err := filepath.Glob(repoFile("policy", "testdata", "benign", "*.R"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(benign), 40)
	for _, f := range benign {
		code, err := os.ReadFile(f)
		require.NoError(t, err)
		t.Run("alice benign/"+filepath.Base(f), func(t *testing.T) {
			res := run(t, "alice", string(code))
			assert.Equal(t, sandbox.StatusOK, res.Status, "error: %s", strings.TrimSpace(res.Error))
		})
	}
}

func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}
