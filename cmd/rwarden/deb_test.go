package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDebianPackage builds the Debian package and runs scripts/deb-test.sh
// on it (make deb-test): install, start the unit (or its command lines as
// the unit would run them), evaluate over TLS, verify the audit trail,
// purge. It changes the machine, so it runs only with RWARDEN_DEB_TEST=1,
// as root.
func TestDebianPackage(t *testing.T) {
	if os.Getenv("RWARDEN_DEB_TEST") != "1" {
		t.Skip("installs a package on this machine: set RWARDEN_DEB_TEST=1 (as root) to run it")
	}
	require.Zero(t, os.Geteuid(), "RWARDEN_DEB_TEST needs root")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	out, err := exec.Command("make", "-C", root, "deb-test").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "deb-test: PASS")
}
