package runtimetest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The benign corpus runs for alice, bound to her real allowlist and the
// guards, with exactly the output plain R prints (issue 11, acceptance 2,
// on the runtime side).
func TestBenignCorpusIdenticalToPlainR(t *testing.T) {
	f := newFixture(t)
	files, err := filepath.Glob(repoFile("policy", "testdata", "benign", "*.R"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	al := f.runtimeAllowlist(t, "alice")
	for _, file := range files {
		code, err := os.ReadFile(file)
		require.NoError(t, err)
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			want := plainR(t, string(code))
			res := f.run(t, "alice", al, string(code))
			require.Equal(t, sandbox.StatusOK, res.Status, "error: %s\noutput: %s", res.Error, clip(string(res.Output), 2000))
			assert.Equal(t, want, string(res.Output))
		})
	}
}

// The escape corpus runs for guest with the static check skipped: bound to
// guest's real allowlist and the guards, none reaches its target.
func TestEscapeCorpusStoppedAtRuntime(t *testing.T) {
	f := newFixture(t)
	files, err := filepath.Glob(repoFile("policy", "testdata", "escapes", "*.R"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	al := f.runtimeAllowlist(t, "guest")
	refused := regexp.MustCompile(`not allowed|could not find`)
	for _, file := range files {
		code, err := os.ReadFile(file)
		require.NoError(t, err)
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			res := f.run(t, "guest", al, string(code))
			require.NotEqual(t, sandbox.StatusOK, res.Status, "the escape ran to the end; output: %s", clip(string(res.Output), 500))
			assert.Regexp(t, refused, res.Error)
			// Evidence of reaching a shell, another process's data or R's
			// own environment.
			for _, marker := range []string{"uid=", "root:x:0:0", "PWNED", sandbox.DefaultRHome} {
				assert.NotContains(t, string(res.Output), marker)
			}
		})
	}
}
