package runtimetest

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// The escape corpus runs for guest and for alice with the static check
// skipped, bound to each one's real allowlist and the guards: no attempt
// reaches its target.
// What an attempt is after (a shell, the worker's environment variables and
// files, R's installation, an environment outside the user's own, the
// harness's state) shows in what it prints when it gets there: the secrets
// of secretsOf. An attempt may end in any error or none; the test is that
// nothing it prints carries a secret. Each attempt also runs unrestricted
// in the same kind of worker, which shows that the secrets are what the
// attempts print when they succeed (those that fail there too are broken
// in plain R: only the static check has anything to refuse in them).
func TestEscapeCorpusStoppedAtRuntime(t *testing.T) {
	f := newFixture(t)
	files, err := filepath.Glob(repoFile("policy", "testdata", "escapes", "*.R"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	secrets := f.secrets()
	var mu sync.Mutex
	var reached []string
	t.Cleanup(func() {
		t.Logf("%d of %d attempts reach their target unrestricted", len(reached), len(files))
		// The secrets show the commonest targets (a program, an
		// environment variable) when they are reached.
		assert.Contains(t, reached, "01_system_direct.R")
		assert.Contains(t, reached, "61_sys_getenv.R")
	})
	for _, user := range []string{"guest", "alice"} {
		al := f.runtimeAllowlist(t, user)
		for _, file := range files {
			code, err := os.ReadFile(file)
			require.NoError(t, err)
			t.Run(user+"/"+filepath.Base(file), func(t *testing.T) {
				t.Parallel()
				if user == "guest" { // once per attempt: does it work in plain R?
					free := f.run(t, user, nil, string(code))
					if secretIn(secrets, string(free.Output)+free.Error) != "" {
						mu.Lock()
						reached = append(reached, filepath.Base(file))
						mu.Unlock()
					}
				}
				res := f.run(t, user, al, string(code))
				got := string(res.Output) + res.Error
				assert.Empty(t, secretIn(secrets, got), "the attempt reached its target: %s", clip(got, 1000))
			})
		}
	}
}

// secrets are strings that only reaching an escape's target prints: the
// output of id or the sandbox's stand-in for running programs, a password
// file, the worker's home, working and temporary directories (all under
// the scratch root), R's installation, environments other than the user's
// own printed, the harness's state listed, and what R's own functions say
// once reached (a formula's variable evaluated, a function traced, a
// package attached, a process forked, native code looked up).
func (f *fixture) secrets() []string {
	return []string{
		"uid=", "running external commands is disabled", "root:x:0:0", "PWNED", f.root,
		sandbox.DefaultRHome, "<environment: R_GlobalEnv>", "<environment: base>",
		"<environment: namespace:", "<environment: package:", "current_nonce",
		"variable lengths differ (found for 'Sys.getenv", "Tracing function",
		"Loading required package", "unable to fork", "not in load table",
		"unable to load shared object",
	}
}

func secretIn(secrets []string, s string) string {
	for _, x := range secrets {
		if strings.Contains(s, x) {
			return x
		}
	}
	return ""
}
