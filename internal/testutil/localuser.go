package testutil

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// LocalUser creates the local group and a user in it with password (the
// PAM tests log in as it through pam_unix), replacing leftovers of an
// earlier run; both are removed when the test ends, and remove deletes
// the user earlier (to test its removal). Needs root.
func LocalUser(t *testing.T, user, group, password string) (remove func()) {
	t.Helper()
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		require.NoError(t, err, "%s %v: %s", name, args, out)
	}
	_ = exec.Command("userdel", user).Run()
	_ = exec.Command("groupdel", group).Run()
	run("groupadd", group)
	t.Cleanup(func() { _ = exec.Command("groupdel", group).Run() })
	run("useradd", "-M", "-G", group, user)
	t.Cleanup(func() { _ = exec.Command("userdel", user).Run() })
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(user + ":" + password + "\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return func() { run("userdel", user) }
}
