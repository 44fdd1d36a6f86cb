package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenerLDAPConfig(t *testing.T) {
	const head = "listeners:\n  - address: \"127.0.0.1:9000\"\n    plaintext: true\n    ldap:\n"
	const good = `      url: ldap://127.0.0.1:389
      user_dn: "uid=%s,ou=people,dc=example,dc=org"
      group_base: "ou=groups,dc=example,dc=org"
      group_filter: "(member=%s)"
      group_roles: {analysts: [role:analyst]}
`
	tests := []struct {
		name, ldap string
		problems   []string
	}{
		{name: "good", ldap: good},
		{name: "clear text to a remote server", ldap: `      url: ldap://ldap.example.org
      user_dn: "uid=%s,dc=x"
      group_base: "dc=x"
      group_filter: "(member=%s)"
      group_roles: {a: [role:analyst]}
`, problems: []string{"listeners[0].ldap.url: ldap://ldap.example.org would send passwords in the clear"}},
		{name: "missing pieces", ldap: "      url: http://x\n      user_dn: uid=x\n      cache_ttl: 2h\n", problems: []string{
			"listeners[0].ldap.url: must be ldap://", "listeners[0].ldap.user_dn: must hold %s",
			"listeners[0].ldap.group_base: is required", "listeners[0].ldap.group_filter: must hold %s",
			"listeners[0].ldap.group_roles: is required", "listeners[0].ldap.cache_ttl: must be between 1s and 1h"}},
		{name: "role without prefix", ldap: `      url: ldaps://ldap.example.org
      user_dn: "%s@example.org"
      group_base: "dc=example,dc=org"
      group_filter: "(member=%s)"
      group_roles: {analysts: [analyst]}
`, problems: []string{`listeners[0].ldap.group_roles.analysts: "analyst" is not a role`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(head+tt.ldap), "test.yaml", "/base")
			if len(tt.problems) > 0 {
				require.Error(t, err)
				for _, p := range tt.problems {
					assert.Contains(t, err.Error(), p)
				}
				return
			}
			require.NoError(t, err)
			l := c.Listeners[0].LDAP
			require.NotNil(t, l)
			assert.Equal(t, time.Minute, l.CacheTTL.Std(), "default cache time")
			assert.Equal(t, "cn", l.GroupAttr)
			assert.Equal(t, []string{"role:analyst"}, l.GroupRoles["analysts"])
		})
	}
}

func TestListenerPAMConfig(t *testing.T) {
	const head = "listeners:\n  - address: \"127.0.0.1:9000\"\n    plaintext: true\n"
	tests := []struct {
		name, pam string
		problem   string
	}{
		{name: "good", pam: "    pam: {service: rwarden, group_roles: {staff: [role:analyst]}}\n"},
		{name: "service path", pam: "    pam: {service: ../etc/x, group_roles: {staff: [role:analyst]}}\n", problem: "listeners[0].pam.service: must name a PAM service"},
		{name: "no roles", pam: "    pam: {service: rwarden}\n", problem: "listeners[0].pam.group_roles: is required"},
		{name: "with ldap", pam: "    pam: {service: rwarden, group_roles: {staff: [role:analyst]}}\n    ldap: {url: \"ldap://127.0.0.1\", user_dn: \"uid=%s\", group_base: x, group_filter: \"(m=%s)\", group_roles: {a: [role:analyst]}}\n",
			problem: "listeners[0].pam: a listener checks passwords with ldap or pam, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(head+tt.pam), "test.yaml", "/base")
			if tt.problem != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.problem)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, c.Listeners[0].PAM)
			assert.Equal(t, "rwarden", c.Listeners[0].PAM.Service)
		})
	}
}
