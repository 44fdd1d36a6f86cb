package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminConfig(t *testing.T) {
	const listener = "listeners:\n  - {address: \"127.0.0.1:9000\", plaintext: true}\n"
	tests := []struct {
		name, admin string
		problems    []string // substrings of the error; none: valid
		check       func(t *testing.T, a AdminConfig)
	}{
		{name: "off", admin: "", check: func(t *testing.T, a AdminConfig) {
			assert.False(t, a.APIEnabled())
			assert.Equal(t, DefaultAdminRole, a.Role)
		}},
		{name: "plain HTTP has no API", admin: "admin: {address: \"127.0.0.1:9100\"}\n", check: func(t *testing.T, a AdminConfig) {
			assert.False(t, a.APIEnabled())
		}},
		{name: "TLS with client CA", admin: "admin: {address: \"127.0.0.1:9100\", tls: {cert: s.pem, key: s.key, client_ca: ca.pem}, role: role:ops}\n",
			check: func(t *testing.T, a AdminConfig) {
				assert.True(t, a.APIEnabled())
				assert.Equal(t, "/base/s.pem", a.TLS.Cert, "relative to the file")
				assert.Equal(t, ClientAuthRequest, a.TLS.ClientAuth, "/healthz stays reachable without a certificate")
				assert.Equal(t, CertUserCN, a.TLS.CertUser)
				assert.Equal(t, "role:ops", a.Role)
			}},
		{name: "TLS without client CA", admin: "admin: {address: \"127.0.0.1:9100\", tls: {cert: s.pem, key: s.key}}\n",
			problems: []string{"admin.tls.client_ca: the admin API authenticates client certificates"}},
		{name: "client_auth none", admin: "admin: {address: \"127.0.0.1:9100\", tls: {cert: s.pem, key: s.key, client_ca: ca.pem, client_auth: none}}\n",
			problems: []string{"admin.tls.client_auth: must be request"}},
		{name: "TLS without address", admin: "admin: {tls: {cert: s.pem, key: s.key, client_ca: ca.pem}}\n",
			problems: []string{"admin.tls: admin.tls needs admin.address"}},
		{name: "role without prefix", admin: "admin: {role: admin}\n", problems: []string{"admin.role: must be a policy role"}},
		{name: "missing key", admin: "admin: {address: \"127.0.0.1:9100\", tls: {cert: s.pem, client_ca: ca.pem}}\n",
			problems: []string{"admin.tls.key: a TLS private key is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(listener+tt.admin), "test.yaml", "/base")
			if len(tt.problems) > 0 {
				require.Error(t, err)
				for _, p := range tt.problems {
					assert.Contains(t, err.Error(), p)
				}
				return
			}
			require.NoError(t, err)
			tt.check(t, c.Admin)
		})
	}
}
