package qap1

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the client side of RSclient's RSA-OAEP (SHA-1)
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The QAP1 RSA key is made once, kept 0600 in the state directory, and
// read back (the same key) on the next start.
func TestQAP1RSAKeyPersistent(t *testing.T) {
	path := filepath.Join(t.TempDir(), rsaKeyFile)
	k1, err := loadOrCreateRSAKey(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, err := loadOrCreateRSAKey(path)
	require.NoError(t, err)
	assert.True(t, k1.Equal(k2))

	require.NoError(t, os.WriteFile(path, []byte("not a key"), 0o600))
	_, err = loadOrCreateRSAKey(path)
	assert.Error(t, err, "a broken key file is an error, not silently replaced")
}

// secLoginPayload builds what RSclient's RS_secauth sends.
func secLoginPayload(t *testing.T, pub *rsa.PublicKey, nonce []byte, auth string) []byte {
	plain := binary.LittleEndian.AppendUint32(nil, uint32(len(nonce)))
	plain = append(plain, nonce...)
	plain = binary.LittleEndian.AppendUint32(plain, uint32(len(auth)+1))
	plain = append(append(plain, auth...), 0)
	blk := pub.Size() - 42
	var out []byte
	for len(plain) > 0 {
		n := min(blk, len(plain))
		c, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain[:n], nil)
		require.NoError(t, err)
		out = append(out, c...)
		plain = plain[n:]
	}
	return out
}

func TestQAP1DecryptLogin(t *testing.T) {
	k, err := loadOrCreateRSAKey(filepath.Join(t.TempDir(), rsaKeyFile))
	require.NoError(t, err)
	nonce := make([]byte, nonceLen)
	_, _ = rand.Read(nonce)
	text, err := decryptLogin(k, nonce, secLoginPayload(t, &k.PublicKey, nonce, "alice\nsecret\n"))
	require.NoError(t, err)
	assert.Equal(t, "alice\nsecret\n\x00", string(text))

	other := make([]byte, nonceLen)
	_, err = decryptLogin(k, other, secLoginPayload(t, &k.PublicKey, nonce, "alice\nsecret\n"))
	assert.Error(t, err, "a replayed login under another nonce")
	_, err = decryptLogin(k, nonce, []byte("short"))
	assert.Error(t, err)
	_, err = decryptLogin(k, nonce, make([]byte, k.Size()))
	assert.Error(t, err, "garbage does not decrypt")
}

// A secure login is one RSA block: more are refused before any private-key
// operation, so 64 blocks (the old bound) cost no decryption at all, and a
// login always costs at most one.
func TestQAP1DecryptLoginOneBlock(t *testing.T) {
	k, err := loadOrCreateRSAKey(filepath.Join(t.TempDir(), rsaKeyFile))
	require.NoError(t, err)
	nonce := make([]byte, nonceLen)
	_, _ = rand.Read(nonce)
	block := secLoginPayload(t, &k.PublicKey, nonce, "alice\nsecret\n")
	require.Len(t, block, k.Size(), "a short login is one block")
	tests := []struct {
		name    string
		payload []byte
		cost    int64
		tooMany bool
	}{
		{name: "one block", payload: block, cost: 1},
		{name: "two blocks", payload: bytes.Repeat(block, 2), tooMany: true},
		{name: "64 blocks", payload: bytes.Repeat(block, 64), tooMany: true},
		{name: "long password needs two blocks", payload: secLoginPayload(t, &k.PublicKey, nonce, "alice\n"+strings.Repeat("p", 100)+"\n"), tooMany: true},
		{name: "not a whole block", payload: block[:k.Size()-1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := RSADecryptions()
			_, err := decryptLogin(k, nonce, tc.payload)
			assert.Equal(t, tc.cost, RSADecryptions()-before, "RSA decryptions")
			if tc.cost == 1 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.tooMany, errors.Is(err, errTooManyBlocks), err.Error())
		})
	}
}

// A key too small to carry a login in one block is refused with a clear
// error rather than used.
func TestQAP1RSAKeyTooSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), rsaKeyFile)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600))
	_, err = loadOrCreateRSAKey(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least 3072")
}
