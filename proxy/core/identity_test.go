package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/setup"
)

// Peers are described without a connection (as an HTTP handler would):
// every way of naming a user works from the description alone.
func TestAuthenticatePeerWithoutConn(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	st, err := setup.PrepareDefaultState(cfg.StateDir, policies.FS, cheapArgon)
	require.NoError(t, err)
	require.NoError(t, auth.AddUser(cfg.UsersFile, "alice", []byte("wonderland-42"), cheapArgon))
	c := openCore(t, cfg)
	ctx := context.Background()

	certPath, keyPath, err := st.PKI.IssueClientCert("alice", t.TempDir())
	require.NoError(t, err)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	verified := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}, VerifiedChains: [][]*x509.Certificate{{leaf}}}
	unverified := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}

	base := Peer{Remote: "192.0.2.7:4242", Listener: "127.0.0.1:9443", Protocol: "test", CertUser: config.CertUserCN}
	with := func(f func(*Peer)) Peer { p := base; f(&p); return p }
	tests := []struct {
		name   string
		peer   Peer
		creds  *Credentials
		user   string
		method auth.Method
		refuse string // AuthError.Reason
	}{
		{"password", base, &Credentials{User: "alice", Password: []byte("wonderland-42")}, "alice", auth.MethodPassword, ""},
		{"wrong password", base, &Credentials{User: "alice", Password: []byte("nope")}, "", "", "bad credentials"},
		{"verified certificate", with(func(p *Peer) { p.TLS = verified }), nil, "alice", auth.MethodCertificate, ""},
		{"unverified certificate", with(func(p *Peer) { p.TLS = unverified }), nil, "", "", "unverified client certificate"},
		{"anonymous", with(func(p *Peer) { p.AnonymousUser = "guest" }), nil, "guest", auth.MethodAnonymous, ""},
		{"anonymous without policy", with(func(p *Peer) { p.AnonymousUser = "nobody" }), nil, "", "", "anonymous user has no policy"},
		{"unix peer without policy", with(func(p *Peer) { p.Unix, p.Cred = true, &PeerCred{UID: 0} }), nil, "", "", "uid 0 (root) has no policy"},
		{"unix peer without credentials", with(func(p *Peer) { p.Unix, p.CredErr = true, errors.New("gone") }), nil, "", "", "peer credentials: gone"},
		{"nothing", base, nil, "", "", "no credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := c.Authenticate(ctx, tc.peer, tc.creds)
			if tc.refuse != "" {
				var ae *AuthError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tc.refuse, ae.Reason)
				assert.NotEmpty(t, ae.Message)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.user, id.User)
			assert.Equal(t, tc.method, id.Method)
		})
	}
}
