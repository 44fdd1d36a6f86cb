//go:build pam

package auth

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PAM against a local test user (useradd, chpasswd) through pam_unix, with
// a service file in a temporary PAM configuration directory. Needs root.
func TestPAMAuthenticate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creates a local user: needs root")
	}
	const user, group, pw = "rwpamtest", "rwpamanalysts", "pam-Secret-42"
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
	cmd.Stdin = strings.NewReader(user + ":" + pw + "\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))

	conf := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(conf, "rwarden-test"),
		[]byte("auth required pam_unix.so nodelay\naccount required pam_unix.so\n"), 0o644))
	p, err := NewPAM(PAMConfig{Service: "rwarden-test", ConfDir: conf,
		GroupRoles: map[string][]string{group: {"role:analyst"}}})
	require.NoError(t, err)
	ctx := context.Background()

	tests := []struct {
		user, password string
		roles          []string
		err            error
	}{
		{user: user, password: pw, roles: []string{"role:analyst"}},
		{user: user, password: "wrong", err: ErrBadCredentials},
		{user: user, password: "", err: ErrBadCredentials},
		{user: "rwpamnosuchuser", password: pw, err: ErrBadCredentials},
		{user: "Bad Name", password: pw, err: ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.password, func(t *testing.T) {
			roles, err := p.Authenticate(ctx, tt.user, []byte(tt.password))
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.roles, roles)
		})
	}

	other, err := NewPAM(PAMConfig{Service: "rwarden-test", ConfDir: conf, GroupRoles: map[string][]string{"rwnosuchgroup": {"role:analyst"}}})
	require.NoError(t, err)
	_, err = other.Authenticate(ctx, user, []byte(pw))
	assert.ErrorIs(t, err, ErrNoMappedGroup)

	run("userdel", user)
	_, err = p.Authenticate(ctx, user, []byte(pw))
	assert.ErrorIs(t, err, ErrBadCredentials, "a removed user is refused at once (no cache)")
}
