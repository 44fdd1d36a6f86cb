package auth

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	ldapSuffix = "dc=example,dc=org"
	ldapRoot   = "cn=admin," + ldapSuffix
	ldapRootPW = "root-secret"
)

// startSlapd runs a real OpenLDAP server (Debian's slapd) on a loopback
// port with a fresh database, and returns its URL. It is killed when the
// test ends.
func startSlapd(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts slapd (skipped by -short)")
	}
	slapd, err := exec.LookPath("slapd")
	if err != nil {
		if slapd, err = exec.LookPath("/usr/sbin/slapd"); err != nil {
			t.Skip("slapd is not installed (apt-get install slapd)")
		}
	}
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "data"), 0o700))
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile %[1]s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/data
`, dir, ldapSuffix, ldapRoot, ldapRootPW)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	url := fmt.Sprintf("ldap://127.0.0.1:%d", port)
	cmd := exec.Command(slapd, "-f", filepath.Join(dir, "slapd.conf"), "-h", url+"/", "-d", "0")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	require.Eventually(t, func() bool {
		c, err := ldap.DialURL(url)
		if err != nil {
			return false
		}
		defer c.Close()
		return c.Bind(ldapRoot, ldapRootPW) == nil
	}, 20*time.Second, 50*time.Millisecond, "slapd did not start: %s", out)
	return url
}

// ldapAdmin binds as the directory's root to change entries.
func ldapAdmin(t *testing.T, url string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(url)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Bind(ldapRoot, ldapRootPW))
	return c
}

func ldapAdd(t *testing.T, c *ldap.Conn, dn string, attrs map[string][]string) {
	t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	require.NoError(t, c.Add(req), dn)
}

// seedDirectory: alice (analysts), bob (analysts and admins), carol (staff,
// a group that maps to no role).
func seedDirectory(t *testing.T, c *ldap.Conn) {
	ldapAdd(t, c, ldapSuffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	for _, ou := range []string{"people", "groups"} {
		ldapAdd(t, c, "ou="+ou+","+ldapSuffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}})
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		ldapAdd(t, c, "uid="+u+",ou=people,"+ldapSuffix, map[string][]string{
			"objectClass": {"inetOrgPerson"}, "uid": {u}, "cn": {u}, "sn": {u}, "userPassword": {u + "-pw"}})
	}
	member := func(us ...string) []string {
		var out []string
		for _, u := range us {
			out = append(out, "uid="+u+",ou=people,"+ldapSuffix)
		}
		return out
	}
	for g, ms := range map[string][]string{"analysts": member("alice", "bob"), "admins": member("bob"), "staff": member("carol")} {
		ldapAdd(t, c, "cn="+g+",ou=groups,"+ldapSuffix, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {g}, "member": ms})
	}
}

func testLDAPConfig(url string, ttl time.Duration) LDAPConfig {
	return LDAPConfig{
		URL: url, UserDN: "uid=%s,ou=people," + ldapSuffix,
		GroupBase: "ou=groups," + ldapSuffix, GroupFilter: "(&(objectClass=groupOfNames)(member=%s))",
		GroupRoles: map[string][]string{"analysts": {"role:analyst"}, "admins": {"role:admin"}},
		CacheTTL:   ttl,
	}
}

// Issue 18, acceptance 4 (LDAP part, at the authenticator): binds against
// a real OpenLDAP map groups to roles; wrong, empty and unknown
// credentials and names that would be injections are refused.
func TestLDAPAuthenticate(t *testing.T) {
	url := startSlapd(t)
	seedDirectory(t, ldapAdmin(t, url))
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
	url := startSlapd(t)
	admin := ldapAdmin(t, url)
	seedDirectory(t, admin)
	const ttl = time.Second
	l, err := NewLDAP(testLDAPConfig(url, ttl))
	require.NoError(t, err)
	ctx := context.Background()
	roles, err := l.Authenticate(ctx, "alice", []byte("alice-pw"))
	require.NoError(t, err)
	assert.Equal(t, []string{"role:analyst"}, roles)

	require.NoError(t, admin.Del(ldap.NewDelRequest("uid=alice,ou=people,"+ldapSuffix, nil)))
	_, err = l.Authenticate(ctx, "alice", []byte("other"))
	assert.ErrorIs(t, err, ErrBadCredentials, "another password is checked against the directory")
	// That failure dropped alice's cache entry: refused at once now.
	_, err = l.Authenticate(ctx, "alice", []byte("alice-pw"))
	assert.ErrorIs(t, err, ErrBadCredentials)

	// Without the failed attempt, the cached check lasts at most ttl.
	l2, err := NewLDAP(testLDAPConfig(url, ttl))
	require.NoError(t, err)
	ldapAdd(t, admin, "uid=dave,ou=people,"+ldapSuffix, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "uid": {"dave"}, "cn": {"dave"}, "sn": {"dave"}, "userPassword": {"dave-pw"}})
	require.NoError(t, admin.Modify(&ldap.ModifyRequest{DN: "cn=analysts,ou=groups," + ldapSuffix,
		Changes: []ldap.Change{{Operation: ldap.AddAttribute, Modification: ldap.PartialAttribute{Type: "member", Vals: []string{"uid=dave,ou=people," + ldapSuffix}}}}}))
	_, err = l2.Authenticate(ctx, "dave", []byte("dave-pw"))
	require.NoError(t, err)
	require.NoError(t, admin.Del(ldap.NewDelRequest("uid=dave,ou=people,"+ldapSuffix, nil)))
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

// lockedBuffer collects slapd's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
