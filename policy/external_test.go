package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Users of an external directory get the roles their groups map to,
// without a policy file, and lose them again; a policy file wins.
func TestSetExternalRoles(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../policies", dir)
	e := newTestEngine(t, dir, testIndex(t))

	assert.False(t, e.HasUser("dora"))
	ok, err := e.SetExternalRoles("dora", []string{"role:analyst"})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, e.HasUser("dora"))
	assert.Contains(t, e.Roles("dora"), "role:analyst")
	d, err := e.Check("dora", []byte("mean(1:3)"))
	require.NoError(t, err)
	assert.True(t, d.Allowed, "an analyst may call mean")
	d, err = e.Check("dora", []byte(`system("id")`))
	require.NoError(t, err)
	assert.False(t, d.Allowed)

	// Survives a reload of the files.
	require.NoError(t, e.Reload())
	assert.Contains(t, e.Roles("dora"), "role:analyst")

	_, err = e.SetExternalRoles("dora", []string{"role:nosuch"})
	assert.ErrorContains(t, err, "unknown role")
	assert.Contains(t, e.Roles("dora"), "role:analyst", "a refused change changes nothing")

	ok, err = e.SetExternalRoles("dora", nil)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, e.HasUser("dora"), "no roles: no user")

	// alice has a policy file: directory roles are ignored.
	ok, err = e.SetExternalRoles("alice", []string{"role:admin"})
	require.NoError(t, err)
	assert.False(t, ok)
	assert.NotContains(t, e.Roles("alice"), "role:admin")

	_, err = e.SetExternalRoles("Bad/Name", []string{"role:analyst"})
	assert.Error(t, err)
}
