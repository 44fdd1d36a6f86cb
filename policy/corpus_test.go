package policy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusUsers are the users every escape attempt must be denied for.
var corpusUsers = []string{"guest", "alice"}

// expectRE matches a header line "# expect: 2:5 base::system", or
// "# expect-guest: ..." for a violation only one user has.
var expectRE = regexp.MustCompile(`^#\s*expect(?:-([a-z]+))?:\s*(\d+):(\d+)\s+(\S+)\s*$`)

// corpusExpectations reads the expected violations ("L:C object") of an
// escape file, per user.
func corpusExpectations(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	want := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break // the header ends at the first line of code
		}
		m := expectRE.FindStringSubmatch(line)
		if m == nil {
			require.NotContains(t, line, "expect", "%s: malformed expectation %q", path, line)
			continue
		}
		key := fmt.Sprintf("%s:%s %s", m[2], m[3], m[4])
		users := corpusUsers
		if m[1] != "" {
			require.Contains(t, corpusUsers, m[1], "%s: unknown user in %q", path, line)
			users = []string{m[1]}
		}
		for _, u := range users {
			want[u] = append(want[u], key)
		}
	}
	return want
}

func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.R"))
	require.NoError(t, err)
	return files
}

// TestEscapeCorpus: every escape attempt is denied for guest and alice,
// with exactly the violations (object and position) its header lists.
func TestEscapeCorpus(t *testing.T) {
	e := shippedEngine(t)
	files := corpusFiles(t, "escapes")
	require.GreaterOrEqual(t, len(files), 190, "issue 11: the 90 earlier attempts and at least 100 new ones")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := corpusExpectations(t, f)
			code, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, user := range corpusUsers {
				require.NotEmpty(t, want[user], "%s lists no expected violation for %s", f, user)
				d, err := e.Check(user, code)
				require.NoError(t, err)
				assert.False(t, d.Allowed, "%s must be denied for %s", f, user)
				var got []string
				for _, v := range d.Violations {
					got = append(got, fmt.Sprintf("%d:%d %s", v.Line, v.Col, v.Object))
				}
				slices.Sort(got)
				exp := slices.Clone(want[user])
				slices.Sort(exp)
				assert.Equal(t, exp, got, "violations of %s for %s", f, user)
			}
		})
	}
}

// TestBenignCorpusAllowed: everyday analysis code passes for alice.
func TestBenignCorpusAllowed(t *testing.T) {
	e := shippedEngine(t)
	files := corpusFiles(t, "benign")
	require.GreaterOrEqual(t, len(files), 80, "issue 11 acceptance 2 needs at least 80 benign scripts")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, err := os.ReadFile(f)
			require.NoError(t, err)
			d, err := e.Check("alice", code)
			require.NoError(t, err)
			var got []string
			for _, v := range d.Violations {
				got = append(got, v.String())
			}
			assert.True(t, d.Allowed, "%s denied for alice: %v", f, got)
		})
	}
}

// TestBenignCorpusRunsInR runs every benign script in real R (default
// packages only) in a scratch directory of its own: the corpus is real,
// working R, not just something the parser accepts.
func TestBenignCorpusRunsInR(t *testing.T) {
	if testing.Short() {
		t.Skip("runs R once per script")
	}
	for _, f := range corpusFiles(t, "benign") {
		abs, err := filepath.Abs(f)
		require.NoError(t, err)
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(DefaultRHome, "bin", "Rscript"), "--vanilla", abs)
			cmd.Dir = t.TempDir()
			cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + cmd.Dir}
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "%s failed in R:\n%s", f, out)
		})
	}
}

// TestCorpusParsesInR: R itself accepts every corpus file, so each escape
// attempt is real R the sandbox can later run as is.
func TestCorpusParsesInR(t *testing.T) {
	files := append(corpusFiles(t, "escapes"), corpusFiles(t, "benign")...)
	var script strings.Builder
	script.WriteString("for (f in commandArgs(TRUE)) tryCatch(parse(f), error = function(e) cat('PARSE-ERROR', f, conditionMessage(e), '\\n'))\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"--vanilla", "-e", script.String()}, files...)
	out, err := exec.CommandContext(ctx, filepath.Join(DefaultRHome, "bin", "Rscript"), args...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.NotContains(t, string(out), "PARSE-ERROR")
}
