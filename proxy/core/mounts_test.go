package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/config"
)

// dataDir makes a host directory worker uids can reach (not under
// t.TempDir, whose parents are 0700).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rwarden-core-data-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// where is the path a user's R sees a mount at: its target with a mount
// view (root), its source without one. (A rootless rwarden also has a
// view; these core tests run as root or, unprivileged, on the level the
// sandbox's own tests cover as nobody.)
func where(target, source string) string {
	if os.Geteuid() == 0 {
		return target
	}
	return source
}

// Issue 17 acceptance 1 through the core, with the shipped policies: alice
// (role:analyst) reads /data/shared/x.csv with read.csv, cannot write it,
// cannot see bob's data; her workspace file survives to her next session
// and bob never sees it; a workspace over its quota gives a clear error.
func TestDataMountsAndWorkspace(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	require.NoError(t, os.WriteFile(filepath.Join(cfg.PoliciesDir, "users", "bob.csv"), []byte("g, bob, role:analyst\n"), 0o644))
	shared, bobData := dataDir(t), dataDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(shared, "x.csv"), []byte("a,b\n1,2\n3,4\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(bobData, "b.csv"), []byte("s\n4242\n"), 0o644))
	_, loaded, err := writeConfig(t, cfg, fmt.Sprintf(`data:
  roles:
    analyst: [{source: %s, target: /data/shared}]
  users:
    bob: [{source: %s, target: /data/bob}]
  workspace: {enabled: true, quota: 2MiB}
`, shared, bobData))
	require.NoError(t, err)
	c := openCore(t, loaded)
	ctx := context.Background()
	eval := func(user, code string) *Outcome {
		t.Helper()
		s, err := c.OpenSession(ctx, identity(user), Peer{Protocol: "test"})
		require.NoError(t, err)
		defer s.Close()
		return s.Evaluate(ctx, []byte(code), EvalOptions{})
	}
	sharedIn := where("/data/shared", shared)
	bobIn := where("/data/bob", bobData)

	out := eval("alice", `d <- read.csv("`+sharedIn+`/x.csv"); cat("sum", sum(d$a + d$b), "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "sum 10")

	out = eval("alice", `r <- tryCatch({write.csv(data.frame(z = 1), "`+sharedIn+`/x.csv"); "written"}, error = function(e) "refused", warning = function(w) "refused"); cat(r, "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "refused")
	b, err := os.ReadFile(filepath.Join(shared, "x.csv"))
	require.NoError(t, err)
	assert.Equal(t, "a,b\n1,2\n3,4\n", string(b), "the shared file is unchanged")

	out = eval("alice", `r <- tryCatch(readLines("`+bobIn+`/b.csv"), error = function(e) "refused", warning = function(w) "refused"); cat(r, "\n")`)
	assert.NotContains(t, string(out.Result.Output), "4242")
	assert.Contains(t, string(out.Result.Output), "refused")
	out = eval("bob", `cat(readLines("`+bobIn+`/b.csv"), "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "4242", "bob reads his own data")

	// The workspace: written in one session, read back in the next.
	out = eval("alice", `write.csv(data.frame(a = 1, b = 2), "~/kept.csv", row.names = FALSE); cat(path.expand("~"), "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), where(config.WorkspaceTarget, WorkspaceSource(loaded, "alice")))
	assert.FileExists(t, filepath.Join(WorkspaceSource(loaded, "alice"), "kept.csv"))
	out = eval("alice", `x <- read.csv("~/kept.csv"); cat("kept", x$a + x$b, "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "kept 3")
	out = eval("bob", `cat("bob sees", file.exists("~/kept.csv"), length(list.files("~")), "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "bob sees FALSE 0")
	aliceWS := WorkspaceSource(loaded, "alice")
	out = eval("bob", `r <- tryCatch(readLines("`+aliceWS+`/kept.csv"), error = function(e) "refused", warning = function(w) "refused"); cat(r, "\n")`)
	assert.Contains(t, string(out.Result.Output), "refused")

	// Quota: clear error naming the workspace and the quota.
	out = eval("alice", `writeBin(raw(3e6), "~/big.bin")`)
	require.NotNil(t, out.Result)
	assert.Equal(t, StatusKilled, out.Result.Status)
	assert.Contains(t, out.ErrorMessage(), "over its quota of 2097152 bytes")
	assert.Contains(t, out.ErrorMessage(), "remove files")
}

// Issue 17 acceptance 3: a package installed at test time into a library
// configured for role:analyst is in the exports index, loads under the OS
// sandbox for alice, and its functions are checked by name: hello is
// granted to her, secret is not.
func TestRoleLibraryPackage(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	lib := testutil.InstallTinyPackage(t)
	alice := filepath.Join(cfg.PoliciesDir, "users", "alice.csv")
	f, err := os.OpenFile(alice, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("p, alice, pkg:rwtiny, load, allow\np, alice, rwtiny::hello, call, allow\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, loaded, err := writeConfig(t, cfg, fmt.Sprintf("data:\n  libraries:\n    analyst: [%s]\n", lib))
	require.NoError(t, err)
	// Its own index cache: the shared one describes R without this library.
	c, err := Open(context.Background(), loaded, Options{
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		PolicyCacheDir: t.TempDir(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Stop()) })
	ctx := context.Background()
	eval := func(user, code string) *Outcome {
		t.Helper()
		s, err := c.OpenSession(ctx, identity(user), Peer{Protocol: "test"})
		require.NoError(t, err)
		defer s.Close()
		return s.Evaluate(ctx, []byte(code), EvalOptions{})
	}
	out := eval("alice", `library(rwtiny); cat(hello("alice"), "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "hello, alice")
	out = eval("alice", `cat(rwtiny::hello(), "\n")`)
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "hello, world")

	out = eval("alice", `library(rwtiny); secret()`)
	assert.Equal(t, DecisionDenied, out.Decision)
	assert.Contains(t, out.ErrorMessage(), "rwtiny::secret")
	out = eval("alice", `rwtiny::secret()`)
	assert.Equal(t, DecisionDenied, out.Decision)
	assert.Contains(t, out.ErrorMessage(), "rwtiny::secret")
	// guest (role:restricted) has neither the grant nor the library.
	out = eval("guest", `library(rwtiny)`)
	assert.Equal(t, DecisionDenied, out.Decision)
}

// The data section is checked at start: roles and users it names must
// exist in the policy, sources must be real directories reached without a
// symlink; the server refuses to start, naming the key.
func TestOpenRejectsBadDataMounts(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	dir := dataDir(t)
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(dir, "real"), link))
	path, loaded, err := writeConfig(t, cfg, fmt.Sprintf(`data:
  roles:
    analyst: [{source: %s, target: /data/shared}]
    ghost: [{source: %s/real, target: /data/g}]
  users:
    nobody: [{source: %s/real, target: /data/n}]
    alice: [{source: %s/missing, target: /data/a}]
  libraries:
    analyst: [%s/real]
`, link, dir, dir, dir, dir))
	require.NoError(t, err, "the file itself is fine")
	// Its own index cache: the library makes the shared one be rebuilt.
	_, err = Open(context.Background(), loaded, Options{PolicyCacheDir: t.TempDir()})
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, path+":10: data.roles.analyst: mount source "+link+" is reached through a symlink")
	assert.Contains(t, msg, "data.roles.ghost: no role \"role:ghost\" in the policy")
	assert.Contains(t, msg, "data.users.nobody: no user \"nobody\" in the policy")
	assert.Contains(t, msg, "data.users.alice: mount source "+dir+"/missing")
	assert.NotContains(t, msg, "data.libraries")
}
