package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"
)

// A test directory: its suffix and root.
const (
	LDAPSuffix = "dc=example,dc=org"
	LDAPRoot   = "cn=admin," + LDAPSuffix
	LDAPRootPW = "root-secret"
)

// StartSlapd runs a real OpenLDAP server (Debian's slapd) on a loopback
// port with a fresh database, and returns its URL. It is killed when the
// test ends.
func StartSlapd(t *testing.T) string {
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
`, dir, LDAPSuffix, LDAPRoot, LDAPRootPW)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	url := fmt.Sprintf("ldap://127.0.0.1:%d", port)
	cmd := exec.Command(slapd, "-f", filepath.Join(dir, "slapd.conf"), "-h", url+"/", "-d", "0")
	out := &SyncBuffer{}
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
		return c.Bind(LDAPRoot, LDAPRootPW) == nil
	}, 20*time.Second, 50*time.Millisecond, "slapd did not start: %s", out)
	return url
}

// LDAPAdmin binds as the directory's root to change entries.
func LDAPAdmin(t *testing.T, url string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(url)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Bind(LDAPRoot, LDAPRootPW))
	return c
}

func LDAPAdd(t *testing.T, c *ldap.Conn, dn string, attrs map[string][]string) {
	t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	require.NoError(t, c.Add(req), dn)
}

// SeedDirectory fills a fresh directory: alice (analysts), bob (analysts and admins), carol (staff,
// a group that maps to no role).
func SeedDirectory(t *testing.T, c *ldap.Conn) {
	LDAPAdd(t, c, LDAPSuffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	for _, ou := range []string{"people", "groups"} {
		LDAPAdd(t, c, "ou="+ou+","+LDAPSuffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}})
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		LDAPAdd(t, c, "uid="+u+",ou=people,"+LDAPSuffix, map[string][]string{
			"objectClass": {"inetOrgPerson"}, "uid": {u}, "cn": {u}, "sn": {u}, "userPassword": {u + "-pw"}})
	}
	member := func(us ...string) []string {
		var out []string
		for _, u := range us {
			out = append(out, "uid="+u+",ou=people,"+LDAPSuffix)
		}
		return out
	}
	for g, ms := range map[string][]string{"analysts": member("alice", "bob"), "admins": member("bob"), "staff": member("carol")} {
		LDAPAdd(t, c, "cn="+g+",ou=groups,"+LDAPSuffix, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {g}, "member": ms})
	}
}
