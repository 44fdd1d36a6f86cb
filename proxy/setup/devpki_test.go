package setup

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	b, _ := pem.Decode(data)
	require.NotNil(t, b, "%s is not PEM", path)
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	return c
}

func TestEnsureDevPKICreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := EnsureDevPKI(dir)
	require.NoError(t, err)

	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	for path, mode := range map[string]os.FileMode{
		p.CACertPath: 0o644, p.CAKeyPath: 0o600, p.ServerCertPath: 0o644, p.ServerKeyPath: 0o600,
	} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, mode, st.Mode().Perm(), path)
	}

	ca, srv := readCert(t, p.CACertPath), readCert(t, p.ServerCertPath)
	assert.True(t, ca.IsCA)
	assert.Equal(t, x509.ECDSA, srv.PublicKeyAlgorithm)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := srv.Verify(x509.VerifyOptions{DNSName: name, Roots: roots})
		assert.NoError(t, err, name)
	}
	_, err = srv.Verify(x509.VerifyOptions{DNSName: "example.org", Roots: roots})
	assert.Error(t, err)
}

func TestEnsureDevPKIIsIdempotentAndRepairs(t *testing.T) {
	dir := t.TempDir()
	p, err := EnsureDevPKI(dir)
	require.NoError(t, err)
	ca1, srv1 := readCert(t, p.CACertPath), readCert(t, p.ServerCertPath)

	_, err = EnsureDevPKI(dir)
	require.NoError(t, err)
	assert.Equal(t, ca1.Raw, readCert(t, p.CACertPath).Raw, "an existing CA is kept")
	assert.Equal(t, srv1.Raw, readCert(t, p.ServerCertPath).Raw, "a valid server certificate is kept")

	// A broken server key: the server pair is reissued by the same CA.
	require.NoError(t, os.WriteFile(p.ServerKeyPath, []byte("junk"), 0o600))
	_, err = EnsureDevPKI(dir)
	require.NoError(t, err)
	srv2 := readCert(t, p.ServerCertPath)
	assert.NotEqual(t, srv1.Raw, srv2.Raw)
	assert.NoError(t, srv2.CheckSignatureFrom(ca1))

	// A missing CA key: everything is recreated.
	require.NoError(t, os.Remove(p.CAKeyPath))
	_, err = EnsureDevPKI(dir)
	require.NoError(t, err)
	ca3 := readCert(t, p.CACertPath)
	assert.NotEqual(t, ca1.Raw, ca3.Raw)
	assert.NoError(t, readCert(t, p.ServerCertPath).CheckSignatureFrom(ca3))
}

func TestIssueClientCert(t *testing.T) {
	p, err := EnsureDevPKI(t.TempDir())
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "clients")
	certPath, keyPath, err := p.IssueClientCert("bob.smith", out)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(out, "bob.smith.pem"), certPath)
	st, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	c := readCert(t, certPath)
	assert.Equal(t, "bob.smith", c.Subject.CommonName)
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, p.CACertPath))
	_, err = c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)
	_, err = c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	assert.Error(t, err, "a client certificate must not serve")

	for _, bad := range []string{"", "../etc/passwd", "a/b", "with space", "-x"} {
		_, _, err := p.IssueClientCert(bad, out)
		assert.Error(t, err, "%q", bad)
	}
}
