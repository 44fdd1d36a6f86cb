package qap1

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the client side of RSclient's RSA-OAEP (SHA-1)
	"encoding/binary"
	"os"
	"path/filepath"
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
