package policy

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// shippedDir is the policy directory shipped with rwarden.
const shippedDir = "../policies"

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// writeFiles writes name -> content under dir, creating directories.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// policyDir creates a policy directory with the shipped model and files.
func policyDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	model, err := os.ReadFile(filepath.Join(shippedDir, modelFile))
	require.NoError(t, err)
	writeFiles(t, dir, map[string]string{modelFile: string(model)})
	writeFiles(t, dir, files)
	return dir
}

// fakeIndex is a small hand-made exports index for tests that do not need
// the installed R. Lines are "pkg F|V name".
func fakeIndex(t testing.TB, search []string, lines string) *Index {
	t.Helper()
	var out strings.Builder
	out.WriteString("R\tR version test\n")
	for _, s := range search {
		out.WriteString("S\t" + s + "\n")
	}
	cur := ""
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		f := strings.Fields(l)
		require.Len(t, f, 3, "fake index line %q", l)
		if f[0] != cur {
			out.WriteString("P\t" + f[0] + "\n")
			cur = f[0]
		}
		out.WriteString(f[1] + "\t" + f[2] + "\n")
	}
	ix, err := parseIndexOutput([]byte(out.String()))
	require.NoError(t, err)
	return ix
}

// testIndex covers what the unit tests reference.
func testIndex(t testing.TB) *Index {
	return fakeIndex(t, []string{"stats", "utils", "base"}, `
stats F lm
stats F sd
stats F filter
utils F head
utils F read.csv
base F mean
base F sum
base F system
base F get
base F paste
base F library
base F filter
base F [<-
base F +
base F <-
base F names<-
base F %in%
base V pi
base V .BaseNamespaceEnv
jsonlite F fromJSON
jsonlite F toJSON
MASS F mvrnorm
MASS F select
`)
}

// newTestEngine opens a policy directory against an index.
func newTestEngine(t testing.TB, dir string, ix *Index) *Engine {
	t.Helper()
	e, err := newEngine(dir, ix, quietLogger())
	require.NoError(t, err)
	return e
}

// copyDir copies the regular files of a policy tree.
func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	require.NoError(t, err)
}
