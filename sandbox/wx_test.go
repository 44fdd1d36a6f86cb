package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The W^X scan tells objects that need an executable stack from ordinary
// ones (built here, so the scan is shown to find what it looks for).
func TestWXIncompatible(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "x.c")
	require.NoError(t, os.WriteFile(src, []byte("int f(void) { return 1; }\n"), 0o644))
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"plain.so", nil, ""},
		{"execstack.so", []string{"-Wl,-z,execstack"}, "executable stack"},
	} {
		args := append([]string{"-shared", "-fPIC", "-o", filepath.Join(dir, tc.name), src}, tc.flags...)
		out, err := exec.Command("gcc", args...).CombinedOutput()
		require.NoError(t, err, string(out))
		why, err := wxIncompatible(filepath.Join(dir, tc.name))
		require.NoError(t, err)
		assert.Equal(t, tc.want, why, tc.name)
	}
	_, err := wxIncompatible(src)
	assert.ErrorIs(t, err, errNotELF)
	bad, seen, err := wxIncompatibleObjects([]string{dir})
	require.NoError(t, err)
	assert.Equal(t, 2, seen)
	assert.Equal(t, map[string]string{filepath.Join(dir, "execstack.so"): "executable stack"}, bad)
}

// Every shared object of the installed R and its site libraries loads
// under W^X (Debian's R packages have no executable stack and no text
// relocations); a package that had would fail to dyn.load in a worker.
func TestInstalledSharedObjectsLoadUnderWX(t *testing.T) {
	needR(t)
	p := ProbeSharedObjects(DefaultRHome)
	assert.True(t, p.Active, p.Detail)
	assert.NotContains(t, p.Detail, " 0 objects")
}
