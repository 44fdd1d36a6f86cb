package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	realIndexOnce sync.Once
	realIndexVal  *Index
	realIndexErr  error
)

// realIndex builds the exports index of the installed R once per test
// binary. Tests that use it run real R; nothing at the R boundary is faked.
func realIndex(t testing.TB) *Index {
	t.Helper()
	realIndexOnce.Do(func() {
		realIndexVal, realIndexErr = buildIndex(context.Background(), DefaultRHome, nil)
	})
	require.NoError(t, realIndexErr, "building the exports index needs R at %s (make deps)", DefaultRHome)
	return realIndexVal
}

func TestIndexFromRealR(t *testing.T) {
	ix := realIndex(t)
	assert.Contains(t, ix.RVersion, "R version")
	assert.NotEmpty(t, ix.LibPaths)
	assert.Equal(t, DefaultSearchOrder, ix.Search, "R's default search order")
	base := ix.Packages["base"]
	require.NotNil(t, base)
	for _, f := range []string{"system", ".Internal", "eval", "[<-", "%in%", "::", "mean", "library"} {
		assert.True(t, base.funcs[f], "base function %s", f)
	}
	for _, v := range []string{"pi", "letters", ".BaseNamespaceEnv", ".GlobalEnv"} {
		assert.True(t, base.vars[v], "base variable %s", v)
		assert.False(t, base.funcs[v], "base variable %s is not a function", v)
	}
	assert.True(t, ix.Packages["stats"].funcs["lm"])
	assert.True(t, ix.Packages["utils"].funcs["read.csv"])
	assert.True(t, ix.Packages["datasets"].vars["iris"])
	assert.True(t, ix.Packages["methods"].funcs["setClass"])
	// Not attached by default, but installed with R and exported.
	assert.True(t, ix.Packages["tools"].funcs["file_ext"])
	assert.Empty(t, ix.Failed, "every installed package loads")

	// Unqualified lookup follows R: stats::filter masks nothing in base,
	// but stats comes first; pi is no function.
	pkg, ok := ix.lookup(ix.Search, "filter", true)
	assert.True(t, ok)
	assert.Equal(t, "stats", pkg)
	_, ok = ix.lookup(ix.Search, "pi", true)
	assert.False(t, ok)
	_, ok = ix.lookup(ix.Search, "file_ext", true)
	assert.False(t, ok, "tools is not attached")
}

// logBuffer captures log messages.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestIndexCache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs R several times")
	}
	cache := t.TempDir()
	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()

	ix1, err := loadIndex(ctx, DefaultRHome, cache, log)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "built the exports index")
	path := filepath.Join(cache, indexCacheFile)
	require.FileExists(t, path)

	logs.buf.Reset()
	ix2, err := loadIndex(ctx, DefaultRHome, cache, log)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "exports index from cache")
	assert.NotContains(t, logs.String(), "built the exports index")
	assert.Equal(t, ix1.Packages["base"].Functions, ix2.Packages["base"].Functions)
	assert.True(t, ix2.Packages["base"].funcs["system"], "lookup maps are rebuilt after decoding")

	// A changed R (simulated by a fingerprint that no longer matches)
	// rebuilds.
	var stale Index
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &stale))
	stale.Fingerprint = "an older R"
	b, err = json.Marshal(&stale)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	logs.buf.Reset()
	_, err = loadIndex(ctx, DefaultRHome, cache, log)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "installed R changed")
	assert.Contains(t, logs.String(), "built the exports index")

	// A corrupt cache is ignored, not trusted.
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	logs.buf.Reset()
	_, err = loadIndex(ctx, DefaultRHome, cache, log)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "ignoring unreadable exports index cache")
}

func TestFingerprintTracksLibraries(t *testing.T) {
	lib := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(lib, "pkgA"), 0o755))
	writeFiles(t, lib, map[string]string{"pkgA/DESCRIPTION": "Package: pkgA\nVersion: 1.0\n"})
	fp1 := fingerprintR(DefaultRHome, []string{lib})
	assert.Equal(t, fp1, fingerprintR(DefaultRHome, []string{lib}), "stable")

	writeFiles(t, lib, map[string]string{"pkgB/DESCRIPTION": "Package: pkgB\n"})
	fp2 := fingerprintR(DefaultRHome, []string{lib})
	assert.NotEqual(t, fp1, fp2, "a package added")

	writeFiles(t, lib, map[string]string{"pkgA/DESCRIPTION": "Package: pkgA\nVersion: 1.1 (upgraded in place)\n"})
	assert.NotEqual(t, fp2, fingerprintR(DefaultRHome, []string{lib}), "a package upgraded in place")
	assert.NotEqual(t, fp1, fingerprintR("/opt/other/R", []string{lib}), "another R")
}

func TestBuildIndexFailsWithoutR(t *testing.T) {
	_, err := buildIndex(context.Background(), t.TempDir(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Rscript")
}

func TestParseIndexOutput(t *testing.T) {
	_, err := parseIndexOutput([]byte("R\tx\nP\tstats\nF\tlm\n"))
	assert.ErrorContains(t, err, "no base functions")
	_, err = parseIndexOutput([]byte("F\tlm\n"))
	assert.ErrorContains(t, err, "before any package")
	_, err = parseIndexOutput([]byte("P\t../evil\n"))
	assert.ErrorContains(t, err, "invalid package name")
	ix, err := parseIndexOutput([]byte("some noise a package printed\nP\tbase\nF\tc\nF\tc\nV\tpi\nE\tbroken\tcannot load\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, ix.Packages["base"].Functions)
	assert.Equal(t, "cannot load", ix.Failed["broken"])
	assert.Equal(t, DefaultSearchOrder, ix.Search)
}
