package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPKIDev: the command makes a CA and a server certificate for
// localhost that verifies against it, keeps them on a second run, and
// writes the keys 0600.
func TestPKIDev(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	out, errOut, code := runCommand(newPKICmd(), "", "dev", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, filepath.Join(dir, "server.pem"))

	readCert := func(name string) *x509.Certificate {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		blk, _ := pem.Decode(b)
		require.NotNil(t, blk, name)
		c, err := x509.ParseCertificate(blk.Bytes)
		require.NoError(t, err)
		return c
	}
	ca, srv := readCert("ca.pem"), readCert("server.pem")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := srv.Verify(x509.VerifyOptions{DNSName: name, Roots: roots})
		assert.NoError(t, err, name)
	}
	for _, key := range []string{"ca.key", "server.key"} {
		st, err := os.Stat(filepath.Join(dir, key))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), key)
	}

	_, errOut, code = runCommand(newPKICmd(), "", "dev", dir)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, srv.Raw, readCert("server.pem").Raw, "a valid server certificate is kept")
}
