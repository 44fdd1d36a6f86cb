package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/framed"
)

// Issue 18, acceptance 4 (LDAP): a TLS listener checks passwords against
// a real OpenLDAP server; the user's groups become their roles (no policy
// file needed); a user in no mapped group and a wrong password are
// refused; logins are audited with auth_method ldap; a user removed from
// the directory is refused once the cache time is over.
func TestE2ELDAPLogin(t *testing.T) {
	needR(t)
	url := testutil.StartSlapd(t)
	dir := testutil.LDAPAdmin(t, url)
	testutil.SeedDirectory(t, dir)
	people := "ou=people," + testutil.LDAPSuffix
	testutil.LDAPAdd(t, dir, "uid=dora,"+people, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "uid": {"dora"}, "cn": {"dora"}, "sn": {"dora"}, "userPassword": {"dora-pw"}})
	require.NoError(t, dir.Modify(&ldap.ModifyRequest{DN: "cn=analysts,ou=groups," + testutil.LDAPSuffix,
		Changes: []ldap.Change{{Operation: ldap.AddAttribute, Modification: ldap.PartialAttribute{Type: "member", Vals: []string{"uid=dora," + people}}}}}))

	state, st := prepareState(t)
	tlsPort := freePort(t)
	l := st.Config.Listeners[0]
	const ttl = 2 * time.Second
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s}
    ldap:
      url: %s
      user_dn: "uid=%%s,%s"
      group_base: "ou=groups,%s"
      group_filter: "(&(objectClass=groupOfNames)(member=%%s))"
      group_roles: {analysts: [role:analyst], admins: [role:admin]}
      cache_ttl: 2s
`, tlsPort, l.TLS.Cert, l.TLS.Key, url, people, testutil.LDAPSuffix), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
	e := &fixture{srv: srv, tlsAddr: fmt.Sprintf("127.0.0.1:%d", tlsPort), pki: st.PKI, audit: filepath.Join(state, "audit.jsonl")}
	login := func(user, pw, code string) string {
		return e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: user, Password: []byte(pw)}, code)
	}
	fileCode := `writeLines("x", "f.txt"); readLines("f.txt")` // allowed for analysts, denied for guest

	assert.Equal(t, "[1] \"x\"\n", login("dora", "dora-pw", fileCode), "dora is an analyst through her LDAP group")
	rec := e.lastEval(t)
	assert.Equal(t, "dora", rec.User)
	assert.Equal(t, "ldap", rec.AuthMethod)
	assert.Contains(t, login("dora", "dora-pw", `system("id")`), "not allowed", "analysts may not run system()")
	assert.Equal(t, "Error: authentication failed\n", login("carol", "carol-pw", "1"), "a group that maps to no role")
	time.Sleep(1500 * time.Millisecond) // failed logins from one address are delayed
	assert.Equal(t, "Error: authentication failed\n", login("bob", "wrong", "1"))
	time.Sleep(1500 * time.Millisecond)

	var auths []*audit.Record
	_, err := audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventAuth}, func(r *audit.Record) error {
		if r.AuthMethod == "ldap" {
			auths = append(auths, r)
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, auths, 4)
	assert.Equal(t, audit.StatusSuccess, auths[0].Status)
	assert.Equal(t, audit.StatusFailure, auths[2].Status)
	assert.Equal(t, "carol", auths[2].User)
	assert.Contains(t, auths[2].Error, "no group that maps")
	assert.Equal(t, "bad credentials", auths[3].Error)

	// Removed from the directory: still in within the cache time, refused
	// after it.
	require.Equal(t, "[1] 2\n", login("dora", "dora-pw", "1 + 1"))
	require.NoError(t, dir.Del(ldap.NewDelRequest("uid=dora,"+people, nil)))
	removed := time.Now()
	time.Sleep(time.Until(removed.Add(ttl + 200*time.Millisecond)))
	assert.Equal(t, "Error: authentication failed\n", login("dora", "dora-pw", "1 + 1"), "refused once the cache time is over")
}
