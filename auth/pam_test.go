//go:build pam

package auth

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
)

// PAM against a local test user (useradd, chpasswd) through pam_unix, with
// a service file in a temporary PAM configuration directory. Needs root.
func TestPAMAuthenticate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creates a local user: needs root")
	}
	const user, group, pw = "rwpamtest", "rwpamanalysts", "pam-Secret-42"
	removeUser := testutil.LocalUser(t, user, group, pw)

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

	removeUser()
	_, err = p.Authenticate(ctx, user, []byte(pw))
	assert.ErrorIs(t, err, ErrBadCredentials, "a removed user is refused at once (no cache)")
}
