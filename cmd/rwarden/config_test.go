package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/setup"
)

// runConfig runs `rwarden config ARGS...` and returns its output and the
// exit status run() would give.
func runConfig(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCommand(newConfigCmd(), "", args...)
}

func TestConfigCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the policies with real R (skipped by -short)")
	}
	if _, err := os.Stat("/usr/lib/R/bin/exec/R"); err != nil {
		t.Skip("R is not installed")
	}
	state := t.TempDir()
	st, err := setup.PrepareDefaultState(state, policies.FS, auth.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	require.NoError(t, err)
	cache := filepath.Join(state, "cache")
	write := func(name, extra string) string {
		l := st.Config.Listeners[0]
		path := filepath.Join(state, name)
		require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:9443"
    tls: {cert: %s, key: %s}
users_file: %s
%s`, state, l.TLS.Cert, l.TLS.Key, st.Config.UsersFile, extra)), 0o600))
		return path
	}

	good := write("good.yaml", "limits: {roles: {restricted: {wall: 5s, sessions: 1}}}\n")
	out, errs, code := runConfig(t, "check", "--config", good, "--cache-dir", cache)
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, "configuration OK: "+good+"\n", out)

	typo := write("typo.yaml", "listener: []\n")
	_, errs, code = runConfig(t, "check", "--config", typo, "--cache-dir", cache)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, typo+":6: listener: unknown key")

	bad := write("bad.yaml", "audit: {code: everything}\npool: {max: 0}\n")
	_, errs, code = runConfig(t, "check", "--config", bad, "--cache-dir", cache)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, bad+":6: audit.code: must be full, truncated:N or hash_only")
	assert.Contains(t, errs, bad+":7: pool.max: must be between 1 and 10000")

	require.NoError(t, os.Rename(st.Config.UsersFile, st.Config.UsersFile+".away"))
	worse := write("worse.yaml", "limits:\n  roles: {ghost: {wall: 5s}}\n  users: {nobody: {wall: 5s}}\n")
	_, errs, code = runConfig(t, "check", "--config", worse, "--cache-dir", cache)
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	require.Len(t, lines, 3, errs)
	assert.Contains(t, lines[0], worse+":5: users_file:")
	assert.Contains(t, lines[1], worse+":7: limits.roles.ghost: no role")
	assert.Contains(t, lines[2], worse+":8: limits.users.nobody: no user")

	// The embedded defaults: a state directory that does not exist yet is
	// fine (serve creates it).
	out, errs, code = runConfig(t, "check", "--state-dir", filepath.Join(state, "fresh"), "--cache-dir", cache)
	assert.Equal(t, 0, code, errs)
	assert.Contains(t, out, "configuration OK: embedded defaults")
}
