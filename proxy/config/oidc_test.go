package config

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOIDCConfig(t *testing.T) {
	const head = "listeners:\n  - address: 127.0.0.1:9444\n    protocol: %s\n    plaintext: true\n    oidc:\n"
	tests := []struct {
		name, protocol, body, err string
	}{
		{"ok", "http", "      issuer: https://idp.example/realms/r\n      audience: rwarden\n      ca_file: ca.pem\n" +
			"      roles_claim: groups\n      roles: {r-analysts: analyst}\n", ""},
		{"http issuer", "http", "      issuer: http://idp.example\n      audience: rwarden\n", "must be an https URL"},
		{"no audience", "http", "      issuer: https://idp.example\n", "audience: is required"},
		{"roles without claim", "http", "      issuer: https://idp.example\n      audience: a\n      roles: {x: analyst}\n", "roles_claim"},
		{"bad role user", "http", "      issuer: https://idp.example\n      audience: a\n      roles_claim: g\n      roles: {x: \"-bad\"}\n", "not a valid rwarden user"},
		{"framed listener", "framed", "      issuer: https://idp.example\n      audience: a\n", "only http listeners"},
		{"unknown key", "http", "      issuer: https://idp.example\n      audience: a\n      audiance: b\n", "unknown key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(fmt.Sprintf(head, tc.protocol) + tc.body)
			c, err := Parse(data, "c.yaml", "/etc/rwarden")
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			o := c.Listeners[0].OIDC
			require.NotNil(t, o)
			assert.Equal(t, "sub", o.UserClaim, "the default user claim")
			assert.Equal(t, "/etc/rwarden/ca.pem", o.CAFile, "relative to the file")
			assert.Equal(t, map[string]string{"r-analysts": "analyst"}, o.Roles)
		})
	}
}
