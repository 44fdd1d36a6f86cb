package auth

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
)

func testLDAPConfig(url string, ttl time.Duration) LDAPConfig {
	return LDAPConfig{
		URL: url, UserDN: "uid=%s,ou=people," + testutil.LDAPSuffix,
		GroupBase: "ou=groups," + testutil.LDAPSuffix, GroupFilter: "(&(objectClass=groupOfNames)(member=%s))",
		GroupRoles: map[string][]string{"analysts": {"role:analyst"}, "admins": {"role:admin"}},
		CacheTTL:   ttl,
	}
}

// Issue 18, acceptance 4 (LDAP part, at the authenticator): binds against
// a real OpenLDAP map groups to roles; wrong, empty and unknown
// credentials and names that would be injections are refused.
func TestLDAPAuthenticate(t *testing.T) {
	url := testutil.StartSlapd(t)
	testutil.SeedDirectory(t, testutil.LDAPAdmin(t, url))
	l, err := NewLDAP(testLDAPConfig(url, 0))
	require.NoError(t, err)
	tests := []struct {
		user, password string
		roles          []string
		err            error
	}{
		{user: "alice", password: "alice-pw", roles: []string{"role:analyst"}},
		{user: "bob", password: "bob-pw", roles: []string{"role:admin", "role:analyst"}},
		{user: "alice", password: "bob-pw", err: ErrBadCredentials},
		{user: "alice", password: "", err: ErrBadCredentials},   // an anonymous bind must not pass
		{user: "nobody", password: "x", err: ErrBadCredentials}, // unknown user
		{user: "carol", password: "carol-pw", err: ErrNoMappedGroup},
		{user: "*)(uid=*", password: "x", err: ErrBadCredentials},
		{user: "alice,ou=people", password: "alice-pw", err: ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.password, func(t *testing.T) {
			roles, err := l.Authenticate(context.Background(), tt.user, []byte(tt.password))
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assert.Nil(t, roles)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.roles, roles)
		})
	}
}

// A user removed from the directory is refused once the cache time is
// over (and within it only with the password that was checked).
func TestLDAPRemovedUserRefusedWithinCacheTime(t *testing.T) {
	url := testutil.StartSlapd(t)
	admin := testutil.LDAPAdmin(t, url)
	testutil.SeedDirectory(t, admin)
	const ttl = time.Second
	l, err := NewLDAP(testLDAPConfig(url, ttl))
	require.NoError(t, err)
	ctx := context.Background()
	roles, err := l.Authenticate(ctx, "alice", []byte("alice-pw"))
	require.NoError(t, err)
	assert.Equal(t, []string{"role:analyst"}, roles)

	require.NoError(t, admin.Del(ldap.NewDelRequest("uid=alice,ou=people,"+testutil.LDAPSuffix, nil)))
	_, err = l.Authenticate(ctx, "alice", []byte("other"))
	assert.ErrorIs(t, err, ErrBadCredentials, "another password is checked against the directory")
	// That failure dropped alice's cache entry: refused at once now.
	_, err = l.Authenticate(ctx, "alice", []byte("alice-pw"))
	assert.ErrorIs(t, err, ErrBadCredentials)

	// Without the failed attempt, the cached check lasts at most ttl.
	l2, err := NewLDAP(testLDAPConfig(url, ttl))
	require.NoError(t, err)
	testutil.LDAPAdd(t, admin, "uid=dave,ou=people,"+testutil.LDAPSuffix, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "uid": {"dave"}, "cn": {"dave"}, "sn": {"dave"}, "userPassword": {"dave-pw"}})
	require.NoError(t, admin.Modify(&ldap.ModifyRequest{DN: "cn=analysts,ou=groups," + testutil.LDAPSuffix,
		Changes: []ldap.Change{{Operation: ldap.AddAttribute, Modification: ldap.PartialAttribute{Type: "member", Vals: []string{"uid=dave,ou=people," + testutil.LDAPSuffix}}}}}))
	_, err = l2.Authenticate(ctx, "dave", []byte("dave-pw"))
	require.NoError(t, err)
	require.NoError(t, admin.Del(ldap.NewDelRequest("uid=dave,ou=people,"+testutil.LDAPSuffix, nil)))
	removed := time.Now()
	_, err = l2.Authenticate(ctx, "dave", []byte("dave-pw"))
	assert.NoError(t, err, "within the cache time the checked password is still accepted (documented)")
	require.Eventually(t, func() bool {
		_, err := l2.Authenticate(ctx, "dave", []byte("dave-pw"))
		return err != nil
	}, 3*ttl, 20*time.Millisecond)
	assert.LessOrEqual(t, time.Since(removed), ttl+500*time.Millisecond, "refused within the cache time")
	_, err = l2.Authenticate(ctx, "dave", []byte("dave-pw"))
	assert.ErrorIs(t, err, ErrBadCredentials)
}

func TestNewLDAPRefusesBadConfig(t *testing.T) {
	good := testLDAPConfig("ldap://127.0.0.1:1", 0)
	tests := []struct {
		name   string
		change func(c *LDAPConfig)
	}{
		{"url scheme", func(c *LDAPConfig) { c.URL = "http://x" }},
		{"user_dn without %s", func(c *LDAPConfig) { c.UserDN = "uid=x" }},
		{"group filter without %s", func(c *LDAPConfig) { c.GroupFilter = "(objectClass=*)" }},
		{"no group roles", func(c *LDAPConfig) { c.GroupRoles = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			_, err := NewLDAP(c)
			assert.Error(t, err)
		})
	}
	_, err := NewLDAP(good)
	require.NoError(t, err)
}

// An unreachable directory is an error, not a pass.
func TestLDAPDirectoryDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	c := testLDAPConfig("ldap://"+addr, time.Minute)
	c.Timeout = time.Second
	l, err := NewLDAP(c)
	require.NoError(t, err)
	_, err = l.Authenticate(context.Background(), "alice", []byte("alice-pw"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrBadCredentials)
	assert.Contains(t, err.Error(), "connecting to")
}
