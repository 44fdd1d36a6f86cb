// Package workertest is the set-up shared by test binaries that start real
// sandboxed R workers outside the sandbox package (the core, the server,
// the runtime corpus tests): the test binary serving as the worker init, as
// rwarden does, the check that R is there, and one exports-index cache per
// test binary. Test code only; no layer of the threat model.
package workertest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rwarden/rwarden/sandbox"
)

// Main runs the tests of a package whose workers re-execute the test
// binary: called with sandbox.InitCommand it is a worker's init and never
// returns; otherwise it runs the tests, removes the shared policy cache and
// exits with their status.
func Main(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitCommand {
		sandbox.InitMain(os.Args[2:])
		os.Exit(sandbox.InitFailedStatus)
	}
	code := m.Run()
	if policyCacheDir != "" {
		os.RemoveAll(policyCacheDir)
	}
	os.Exit(code)
}

// NeedR skips an integration test under -short or where R is missing.
func NeedR(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test with real R (skipped by -short)")
	}
	if _, err := os.Stat(filepath.Join(sandbox.DefaultRHome, "bin", "exec", "R")); err != nil {
		t.Skip("R is not installed (make deps installs it)")
	}
}

var (
	policyCacheOnce sync.Once
	policyCacheDir  string
)

// PolicyCache is one exports-index cache for every policy engine of the
// test binary: building the index runs R, which need not happen per test.
func PolicyCache(t testing.TB) string {
	policyCacheOnce.Do(func() {
		if dir, err := os.MkdirTemp("", "rwarden-test-policy-cache-"); err == nil {
			policyCacheDir = dir
		}
	})
	if policyCacheDir == "" {
		return t.TempDir()
	}
	return policyCacheDir
}
