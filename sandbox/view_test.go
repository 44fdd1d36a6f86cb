package sandbox

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The view's plan: binds deduplicated under read-only directories (a
// writable path stays its own), symlinks on the way recorded unless a bind
// brings them, and chains through several links followed.
func TestViewPlan(t *testing.T) {
	binds := dedupBinds([]viewBind{
		{path: "/usr/lib/R/bin/exec/R"},
		{path: "/usr/lib/R", dir: true},
		{path: "/usr/lib/Rx", dir: true},
		{path: "/dev/null", write: true},
		{path: "/usr/lib/R/etc", dir: true},
	})
	assert.Equal(t, []viewBind{
		{path: "/dev/null", write: true},
		{path: "/usr/lib/R", dir: true},
		{path: "/usr/lib/Rx", dir: true},
	}, binds)

	root := t.TempDir()
	tree := filepath.Join(root, "tree")
	alt := filepath.Join(root, "alt")
	require.NoError(t, os.MkdirAll(filepath.Join(tree, "real"), 0o755))
	require.NoError(t, os.MkdirAll(alt, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tree, "real", "lib.so.1"), nil, 0o644))
	// tree/lib.so -> root/alt/lib -> ../tree/real/lib.so.1 (out and back in)
	require.NoError(t, os.Symlink(filepath.Join(alt, "lib"), filepath.Join(tree, "lib.so")))
	require.NoError(t, os.Symlink("../tree/real/lib.so.1", filepath.Join(alt, "lib")))
	// A link that stays inside the tree is brought by the bind.
	require.NoError(t, os.Symlink("real/lib.so.1", filepath.Join(tree, "inside.so")))
	// root/short -> tree (a directory link on the way to a path)
	require.NoError(t, os.Symlink("tree", filepath.Join(root, "short")))

	b := []viewBind{{path: tree, dir: true}}
	links, err := viewLinks(b, filepath.Join(root, "short", "real", "lib.so.1"), nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		filepath.Join(alt, "lib"):    "../tree/real/lib.so.1",
		filepath.Join(root, "short"): "tree",
	}, keep(links, root))

	// What the parent caches is what the init would compute.
	ls := landlockSpec{ReadDirs: []string{tree}}
	cached := cachedViewLinks(ls, filepath.Join(root, "short", "real", "lib.so.1"), nil)
	assert.Equal(t, links, cached)
}

// keep drops entries outside dir (the host's own /lib, /lib64 ...).
func keep(m map[string]string, dir string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if len(k) > len(dir) && k[:len(dir)+1] == dir+"/" {
			out[k] = v
		}
	}
	return out
}
