package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rwarden config check lists every problem and exits 1; a good file exits 0.
func TestConfigCheckCommand(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	l := st.Config.Listeners[0]
	write := func(name, extra string) string {
		path := filepath.Join(state, name)
		require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:9443"
    tls: {cert: %s, key: %s}
%s`, state, l.TLS.Cert, l.TLS.Key, extra)), 0o600))
		return path
	}
	run := func(args ...string) (string, int) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if err != nil {
			require.ErrorAs(t, err, &ee)
			return string(out), ee.ExitCode()
		}
		return string(out), 0
	}
	good := write("good.yaml", "limits: {roles: {restricted: {sessions: 1}}}\n")
	out, code := run("config", "check", "--config", good)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "configuration OK")

	bad := write("bad.yaml", "users_file: missing.txt\nlimits:\n  roles: {ghost: {wall: 1s}}\n  users: {nobody: {wall: 1s}}\n")
	out, code = run("config", "check", "--config", bad)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, bad+":5: users_file:")
	assert.Contains(t, out, bad+":7: limits.roles.ghost: no role \"role:ghost\"")
	assert.Contains(t, out, bad+":8: limits.users.nobody: no user \"nobody\"")
}

// A configured users file that does not exist is an error: rwarden serve
// refuses to start instead of creating an empty one.
func TestServeRefusesMissingUsersFile(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, os.Remove(st.Config.UsersFile))
	cfg := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:0"
    plaintext: true
`, state)), 0o600))
	out, err := exec.Command(bin, "serve", "--config", cfg).CombinedOutput()
	require.Error(t, err, "%s", out)
	assert.Contains(t, string(out), "users file")
	assert.Contains(t, string(out), "no such file")
	_, statErr := os.Stat(st.Config.UsersFile)
	assert.True(t, os.IsNotExist(statErr), "the users file was created")
}
