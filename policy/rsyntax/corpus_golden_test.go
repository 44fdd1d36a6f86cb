package rsyntax

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusInputs returns the scripts the policy check is tested and
// benchmarked on, by name: the benign and escape corpora of policy, the
// escape corpus of policy/refs, the tricky cases and the 1,000-line
// benchmark script of this package.
func corpusInputs(t *testing.T) map[string]string {
	t.Helper()
	in := map[string]string{}
	for _, dir := range []string{"../testdata/benign", "../testdata/escapes"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.R"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			in[filepath.ToSlash(f)] = string(b)
		}
	}
	for _, f := range []string{"../refs/testdata/escapes.txt", "testdata/tricky.txt"} {
		for i, src := range splitCorpus(t, f) {
			in[fmt.Sprintf("%s#%d", f, i)] = src
		}
	}
	b, err := os.ReadFile("testdata/bench_1000.R")
	require.NoError(t, err)
	in["testdata/bench_1000.R"] = string(b)
	return in
}

// dumpParse renders everything Parse returns for src: the tree with every
// node's position, the warnings, or the error.
func dumpParse(src string) string {
	var b strings.Builder
	f, err := Parse([]byte(src), Options{})
	if err != nil {
		fmt.Fprintf(&b, "error %T %v\n", err, err)
		return b.String()
	}
	for _, e := range f.Exprs {
		b.WriteString(Dump(e))
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(&b, "warning %d:%d %s\n", w.Pos.Line, w.Pos.Col, w.Msg)
	}
	return b.String()
}

// TestCorporaTreesGolden pins the parse of every corpus script (trees
// with positions, warnings and errors) to testdata/corpora.golden, one
// SHA-256 of dumpParse per script. The golden file was written by the
// parser before the lexer's fast paths (fastToken) were added, so the
// test proves they change nothing; the differential tests check the same
// trees against R itself. Run with -update only after checking a change
// of the trees against R.
func TestCorporaTreesGolden(t *testing.T) {
	in := corpusInputs(t)
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		sum := sha256.Sum256([]byte(dumpParse(in[name])))
		fmt.Fprintf(&b, "%s %s\n", hex.EncodeToString(sum[:]), name)
	}
	got := b.String()
	require.Greater(t, len(names), 500, "the corpora must not be empty")
	if *update {
		golden(t, "corpora.golden", got)
		return
	}
	want, err := os.ReadFile("testdata/corpora.golden")
	require.NoError(t, err)
	if !assert.Equal(t, string(want), got) {
		// Show the first script that changed, to compare by hand.
		wantLines := strings.Split(string(want), "\n")
		for i, line := range strings.Split(got, "\n") {
			if i >= len(wantLines) || line != wantLines[i] {
				name := line[strings.IndexByte(line, ' ')+1:]
				t.Logf("first changed script: %s\n%s", name, dumpParse(in[name]))
				break
			}
		}
	}
}
