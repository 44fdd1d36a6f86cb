package testutil

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildRwarden compiles cmd/rwarden into a temporary directory of the test
// and returns the binary's path.
func BuildRwarden(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	pkg := filepath.Join(filepath.Dir(file), "..", "..", "cmd", "rwarden")
	bin := filepath.Join(tb.TempDir(), "rwarden")
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		tb.Fatalf("building cmd/rwarden: %v\n%s", err, out)
	}
	return bin
}
