package transport_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/setup"
)

// tlsFixture is a dev PKI plus a client certificate for "alice" and one for
// "mallory" from an unrelated CA.
type tlsFixture struct {
	pki                 *setup.DevPKI
	roots               *x509.CertPool
	alice, mallory      tls.Certificate
	aliceCert, aliceKey string
}

func newTLSFixture(t *testing.T) *tlsFixture {
	t.Helper()
	dir := t.TempDir()
	pki, err := setup.EnsureDevPKI(filepath.Join(dir, "pki"))
	require.NoError(t, err)
	certPath, keyPath, err := pki.IssueClientCert("alice", filepath.Join(dir, "clients"))
	require.NoError(t, err)
	alice, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	other, err := setup.EnsureDevPKI(filepath.Join(dir, "other"))
	require.NoError(t, err)
	mc, mk, err := other.IssueClientCert("mallory", filepath.Join(dir, "clients"))
	require.NoError(t, err)
	mallory, err := tls.LoadX509KeyPair(mc, mk)
	require.NoError(t, err)
	pem, err := os.ReadFile(pki.CACertPath)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(pem))
	return &tlsFixture{pki: pki, roots: roots, alice: alice, mallory: mallory, aliceCert: certPath, aliceKey: keyPath}
}

func (f *tlsFixture) listenerTLS(clientAuth string) config.ListenerTLS {
	return config.ListenerTLS{Cert: f.pki.ServerCertPath, Key: f.pki.ServerKeyPath, ClientCA: f.pki.CACertPath, ClientAuth: clientAuth, CertUser: config.CertUserCN}
}

// serveTLSConns is a tiny TLS server for these tests: each connection
// that completes its handshake is handed to handle with the user its
// verified client certificate names ("" without one).
func serveTLSConns(t *testing.T, cfg *tls.Config, handle func(tc *tls.Conn, certUser string)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	testutil.ServeConns(t, ln, 10*time.Second, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		var user string
		if cs := tc.ConnectionState(); len(cs.VerifiedChains) > 0 {
			user, _ = auth.UserFromCert(cs.PeerCertificates[0], auth.CertMapping{Field: config.CertUserCN})
		}
		handle(tc, user)
	})
	return ln.Addr().String()
}

// serveTLS sends one line naming the certificate user ("user=alice" or
// "user=") and then echoes.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return serveTLSConns(t, cfg, func(tc *tls.Conn, user string) {
		fmt.Fprintf(tc, "user=%s\n", user)
		r := bufio.NewReader(tc)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if _, err := tc.Write([]byte(line)); err != nil {
				return
			}
		}
	})
}

// dialTLS connects and reads the server's first line; a handshake refusal
// shows up here (in TLS 1.3 a refused client certificate only surfaces on
// the first read).
func dialTLS(addr string, cfg *tls.Config) (*tls.Conn, string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, "", err
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, strings.TrimSpace(line), nil
}

func TestTLSVersionsAndSuites(t *testing.T) {
	f := newTLSFixture(t)
	cfg, _, err := transport.NewTLSConfig(f.listenerTLS(config.ClientAuthNone))
	require.NoError(t, err)
	addr := serveTLS(t, cfg)

	tests := []struct {
		name        string
		client      *tls.Config
		wantVersion uint16
		wantErr     bool
	}{
		{"TLS 1.3 preferred", &tls.Config{}, tls.VersionTLS13, false},
		{"TLS 1.2 with AEAD", &tls.Config{MaxVersion: tls.VersionTLS12}, tls.VersionTLS12, false},
		{"TLS 1.2 ChaCha20 only", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, tls.VersionTLS12, false},
		{"TLS 1.2 CBC only refused", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		}}, 0, true},
		{"TLS 1.1 refused", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.client.RootCAs = f.roots
			tc.client.ServerName = "localhost"
			c, _, err := dialTLS(addr, tc.client)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			defer c.Close()
			st := c.ConnectionState()
			assert.Equal(t, tc.wantVersion, st.Version)
			if st.Version == tls.VersionTLS12 {
				assert.Contains(t, transport.TLS12Suites, st.CipherSuite)
			}
		})
	}
}

func TestTLSServerNames(t *testing.T) {
	f := newTLSFixture(t)
	cfg, _, err := transport.NewTLSConfig(f.listenerTLS(config.ClientAuthNone))
	require.NoError(t, err)
	addr := serveTLS(t, cfg)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		t.Run(name, func(t *testing.T) {
			c, _, err := dialTLS(addr, &tls.Config{RootCAs: f.roots, ServerName: name})
			require.NoError(t, err, "the dev certificate must be valid for %s", name)
			c.Close()
		})
	}
	_, _, err = dialTLS(addr, &tls.Config{RootCAs: f.roots, ServerName: "example.org"})
	assert.Error(t, err)
}

func TestTLSClientAuth(t *testing.T) {
	f := newTLSFixture(t)
	tests := []struct {
		mode     string
		cert     *tls.Certificate
		wantUser string
		wantErr  bool
	}{
		{config.ClientAuthNone, nil, "", false},
		{config.ClientAuthNone, &f.alice, "", false}, // not requested, so not sent
		{config.ClientAuthRequest, nil, "", false},
		{config.ClientAuthRequest, &f.alice, "alice", false},
		{config.ClientAuthRequest, &f.mallory, "", true}, // sent but unverifiable: refused
		{config.ClientAuthRequire, nil, "", true},
		{config.ClientAuthRequire, &f.alice, "alice", false},
		{config.ClientAuthRequire, &f.mallory, "", true},
	}
	for _, tc := range tests {
		name := tc.mode + " without cert"
		if tc.cert != nil {
			name = tc.mode + " with " + tc.cert.Leaf.Subject.CommonName
		}
		t.Run(name, func(t *testing.T) {
			cfg, _, err := transport.NewTLSConfig(f.listenerTLS(tc.mode))
			require.NoError(t, err)
			addr := serveTLS(t, cfg)
			for _, max := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				client := &tls.Config{RootCAs: f.roots, ServerName: "localhost", MaxVersion: max}
				if tc.cert != nil {
					client.Certificates = []tls.Certificate{*tc.cert}
				}
				c, line, err := dialTLS(addr, client)
				if tc.wantErr {
					assert.Error(t, err, "TLS %x", max)
					continue
				}
				require.NoError(t, err, "TLS %x", max)
				assert.Equal(t, "user="+tc.wantUser, line)
				c.Close()
			}
		})
	}
}

func TestNewTLSConfigErrors(t *testing.T) {
	f := newTLSFixture(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate"), 0o600))
	tests := []struct {
		name string
		l    config.ListenerTLS
	}{
		{"missing cert", config.ListenerTLS{Cert: filepath.Join(dir, "none.pem"), Key: f.pki.ServerKeyPath}},
		{"garbage cert", config.ListenerTLS{Cert: garbage, Key: f.pki.ServerKeyPath}},
		{"key of another cert", config.ListenerTLS{Cert: f.pki.ServerCertPath, Key: f.pki.CAKeyPath}},
		{"garbage client CA", config.ListenerTLS{Cert: f.pki.ServerCertPath, Key: f.pki.ServerKeyPath, ClientCA: garbage, ClientAuth: config.ClientAuthRequire}},
		{"require without CA", config.ListenerTLS{Cert: f.pki.ServerCertPath, Key: f.pki.ServerKeyPath, ClientAuth: config.ClientAuthRequire}},
		{"unknown mode", config.ListenerTLS{Cert: f.pki.ServerCertPath, Key: f.pki.ServerKeyPath, ClientAuth: "maybe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := transport.NewTLSConfig(tc.l)
			assert.Error(t, err)
		})
	}
}

// Reload swaps the certificate for new handshakes, keeps established
// connections alive, and keeps the old pair when the new one is broken.
func TestCertReload(t *testing.T) {
	f := newTLSFixture(t)
	cfg, reloader, err := transport.NewTLSConfig(f.listenerTLS(config.ClientAuthRequest))
	require.NoError(t, err)
	addr := serveTLS(t, cfg)
	client := &tls.Config{RootCAs: f.roots, ServerName: "localhost"}

	old, _, err := dialTLS(addr, client)
	require.NoError(t, err)
	defer old.Close()
	oldSerial := old.ConnectionState().PeerCertificates[0].SerialNumber

	require.NoError(t, f.pki.IssueServerCert()) // a new pair on disk
	require.NoError(t, reloader.Reload())

	fresh, _, err := dialTLS(addr, client)
	require.NoError(t, err)
	newSerial := fresh.ConnectionState().PeerCertificates[0].SerialNumber
	fresh.Close()
	assert.NotEqual(t, oldSerial, newSerial, "new handshakes get the new certificate")

	// The connection made before the reload still works.
	_, err = old.Write([]byte("still there\n"))
	require.NoError(t, err)
	echo, err := bufio.NewReader(old).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "still there\n", echo)

	// A broken pair is refused and the current one stays.
	require.NoError(t, os.WriteFile(f.pki.ServerCertPath, []byte("-----BEGIN CERTIFICATE-----\nbroken\n"), 0o644))
	err = reloader.Reload()
	require.Error(t, err)
	again, _, err := dialTLS(addr, client)
	require.NoError(t, err)
	assert.Equal(t, newSerial, again.ConnectionState().PeerCertificates[0].SerialNumber)
	again.Close()
}
