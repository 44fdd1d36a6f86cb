package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
)

// hostDir makes a directory outside t.TempDir (whose parents are 0700) that
// worker uids can reach, with the given mode.
func hostDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rwarden-test-mount-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, mode))
	return dir
}

func TestValidateMounts(t *testing.T) {
	dir := hostDir(t, 0o755)
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(dir, link))
	tests := []struct {
		name   string
		mounts []Mount
		bad    string
	}{
		{"none", nil, ""},
		{"read-only and writable", []Mount{{Source: dir, Target: "/data/shared"}, {Source: dir, Target: "/home/rwarden", Write: true}}, ""},
		{"relative source", []Mount{{Source: "data", Target: "/data/x"}}, "absolute"},
		{"dot-dot target", []Mount{{Source: dir, Target: "/data/../etc"}}, "clean"},
		{"target outside the roots", []Mount{{Source: dir, Target: "/usr/lib/R/x"}}, "not beneath"},
		{"target is a root itself", []Mount{{Source: dir, Target: "/data"}}, "not beneath"},
		{"missing source", []Mount{{Source: dir + "/nope", Target: "/data/x"}}, "no such file"},
		{"file source", []Mount{{Source: file, Target: "/data/x"}}, "not a directory"},
		{"symlink source", []Mount{{Source: link, Target: "/data/x"}}, "symlink"},
		{"root source", []Mount{{Source: "/", Target: "/data/x"}}, "whole host"},
		{"overlapping targets", []Mount{{Source: dir, Target: "/data/a"}, {Source: dir, Target: "/data/a/b"}}, "overlap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateMounts(tc.mounts)
			if tc.bad == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.bad)
		})
	}
}

// A session sees a read-only data directory it can read and not write, a
// writable one it can write, and nothing of another user's directory: held
// by the mount view as root and by Landlock in every case.
func TestSessionMounts(t *testing.T) {
	p := newTestPool(t, nil)
	shared := hostDir(t, 0o755)
	require.NoError(t, os.WriteFile(filepath.Join(shared, "x.csv"), []byte("a,b\n1,2\n3,4\n"), 0o644))
	own := hostDir(t, 0o777) // written by the worker's uid
	bob := hostDir(t, 0o755)
	require.NoError(t, os.WriteFile(filepath.Join(bob, "secret.csv"), []byte("s\n42\n"), 0o644))

	mShared := Mount{Source: shared, Target: "/data/shared"}
	mOwn := Mount{Source: own, Target: "/data/alice", Write: true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := p.Acquire(ctx, Binding{User: "alice", Limits: testLimits(), Mounts: []Mount{mShared, mOwn}})
	require.NoError(t, err)
	defer s.Close()
	sharedIn, ownIn := s.VisiblePath(mShared), s.VisiblePath(mOwn)
	if os.Geteuid() == 0 {
		assert.Equal(t, "/data/shared", sharedIn, "as root the worker has a view")
	}
	q := func(p string) string { return `"` + p + `"` }

	res := eval(t, s, `d <- read.csv(`+q(sharedIn+"/x.csv")+`); cat("sum", sum(d$a + d$b), "\n")`)
	require.Empty(t, res.Error)
	assert.Contains(t, string(res.Output), "sum 10")

	res = eval(t, s, `r <- tryCatch({writeLines("x", `+q(sharedIn+"/y.txt")+`); "written"}, error = function(e) "refused", warning = function(w) "refused"); cat(r, "\n")`)
	assert.Contains(t, string(res.Output), "refused")
	assert.NoFileExists(t, filepath.Join(shared, "y.txt"))
	res = eval(t, s, `r <- tryCatch({file.remove(`+q(sharedIn+"/x.csv")+`)}, error = function(e) FALSE, warning = function(w) FALSE); cat("removed", r, "\n")`)
	assert.Contains(t, string(res.Output), "removed FALSE")
	assert.FileExists(t, filepath.Join(shared, "x.csv"))

	res = eval(t, s, `writeLines("kept", `+q(ownIn+"/out.txt")+`); cat(readLines(`+q(ownIn+"/out.txt")+`), "\n")`)
	require.Empty(t, res.Error)
	assert.Contains(t, string(res.Output), "kept")
	b, err := os.ReadFile(filepath.Join(own, "out.txt"))
	require.NoError(t, err)
	assert.Equal(t, "kept\n", string(b))

	// Another user's directory: not readable by its host path; as root it
	// is not even there.
	res = eval(t, s, `r <- tryCatch(readLines(`+q(bob+"/secret.csv")+`), error = function(e) "refused", warning = function(w) "refused"); cat(r, "\n")`)
	assert.Contains(t, string(res.Output), "refused")
	assert.NotContains(t, string(res.Output), "42")
	if os.Geteuid() == 0 {
		res = eval(t, s, `cat("exists", file.exists(`+q(bob)+`), file.exists("/data/bob"), "\n")`)
		assert.Contains(t, string(res.Output), "exists FALSE FALSE")
	}
}

// Sessions with different mounts never share a worker, and a session with
// none sees none.
func TestSessionWithoutMountsSeesNone(t *testing.T) {
	p := newTestPool(t, nil)
	shared := hostDir(t, 0o755)
	require.NoError(t, os.WriteFile(filepath.Join(shared, "x.csv"), []byte("a\n1\n"), 0o644))
	res := run(t, p, testLimits(), `r <- tryCatch(readLines(`+`"`+shared+`/x.csv"`+`), error = function(e) "refused", warning = function(w) "refused"); cat(r, file.exists("/data/shared"), "\n")`)
	out := string(res.Output)
	assert.True(t, strings.Contains(out, "refused FALSE"), out)
}

// A writable home mount is R's "~"; what is written there stays on the
// host; an evaluation that leaves it over its quota is stopped with a
// clear error, and the next session can clean up.
func TestHomeMountQuota(t *testing.T) {
	p := newTestPool(t, nil)
	home := hostDir(t, 0o777)
	m := Mount{Source: home, Target: "/home/rwarden", Write: true, Home: true, Quota: 1 << 20}
	open := func() *Session {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := p.Acquire(ctx, Binding{User: "alice", Limits: testLimits(), Mounts: []Mount{m}})
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}
	s := open()
	res := eval(t, s, `cat("home", path.expand("~"), "\n"); saveRDS(1:10, "~/small.rds"); cat("back", sum(readRDS("~/small.rds")), "\n")`)
	require.Empty(t, res.Error)
	assert.Contains(t, string(res.Output), "home "+s.VisiblePath(m)+" \n")
	assert.Contains(t, string(res.Output), "back 55")
	assert.FileExists(t, filepath.Join(home, "small.rds"))

	res = eval(t, s, `writeBin(raw(2e6), "~/big.bin"); cat("done\n")`)
	assert.Equal(t, StatusKilled, res.Status)
	assert.Contains(t, res.Error, "over its quota of 1048576 bytes")
	assert.Contains(t, res.Error, s.VisiblePath(m))

	s2 := open()
	res = eval(t, s2, `file.remove("~/big.bin"); cat(sort(list.files("~")), "\n")`)
	require.Empty(t, res.Error)
	assert.Contains(t, string(res.Output), "small.rds")
	assert.NotContains(t, string(res.Output), "big.bin")
}

// A library tree given to a session is on its library path and its
// packages load under the OS sandbox; a session without it cannot load
// them.
func TestLibraryMount(t *testing.T) {
	p := newTestPool(t, nil)
	lib := testutil.InstallTinyPackage(t)
	m := Mount{Source: lib, Target: lib, Library: true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := p.Acquire(ctx, Binding{User: "alice", Limits: testLimits(), Mounts: []Mount{m}})
	require.NoError(t, err)
	defer s.Close()
	res := eval(t, s, `library(rwtiny); cat(hello("alice"), "\n"); cat(.libPaths()[1], "\n")`)
	require.Empty(t, res.Error)
	assert.Contains(t, string(res.Output), "hello, alice")
	assert.Contains(t, string(res.Output), lib)
	res = eval(t, s, `r <- tryCatch({writeLines("x", "`+lib+`/x.txt"); "written"}, error = function(e) "refused", warning = function(w) "refused"); cat(r, "\n")`)
	assert.Contains(t, string(res.Output), "refused")

	res = run(t, p, testLimits(), `r <- tryCatch({library(rwtiny, lib.loc = "`+lib+`"); "loaded"}, error = function(e) "not loaded"); cat(r, "\n")`)
	assert.Contains(t, string(res.Output), "not loaded")
}
