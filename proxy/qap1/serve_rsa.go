package qap1

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // RSA-OAEP with SHA-1 is what RSclient (OpenSSL's RSA_PKCS1_OAEP_PADDING) speaks
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/google/renameio/v2"
)

// RSclient's secure login (RS.login): the server hands out a nonce and its
// RSA public key (CMD_keyReq "rsa-authkey"); the client sends back
// RSA-OAEP(nonce, "user\npassword\n") (CMD_secLogin). rwarden keeps one key
// pair in its state directory, so that clients see the same key across
// restarts, and checks the password against its own users file.

const (
	rsaKeyFile = "qap1_rsa_key.pem"
	rsaKeyBits = 3072
	// minRSAKeyBits: one RSA-OAEP (SHA-1) block of a 3072-bit key holds
	// 342 bytes, enough for the 264 bytes of nonce and lengths plus a user
	// name and password of up to 78 bytes. A login is one block (see
	// decryptLogin), so a smaller key could not carry one.
	minRSAKeyBits = 3072
	// nonceLen is Rserve's SRV_KEY_LEN.
	nonceLen = 256
)

// rsaKeyState is the front end's key, loaded or made on first use.
type rsaKeyState struct {
	path string
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

func (st *rsaKeyState) get() (*rsa.PrivateKey, error) {
	st.once.Do(func() { st.key, st.err = loadOrCreateRSAKey(st.path) })
	return st.key, st.err
}

// loadOrCreateRSAKey reads the PEM key at path, or creates one there (mode
// 0600, written to a temporary file and renamed into place).
func loadOrCreateRSAKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "RSA PRIVATE KEY" {
			return nil, fmt.Errorf("QAP1 RSA key %s: not a PEM RSA private key", path)
		}
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("QAP1 RSA key %s: %w", path, err)
		}
		if k.N.BitLen() < minRSAKeyBits {
			return nil, fmt.Errorf("QAP1 RSA key %s: %d bits; rwarden needs at least %d (remove the file to have a new key made)", path, k.N.BitLen(), minRSAKeyBits)
		}
		return k, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("reading QAP1 RSA key: %w", err)
	}
	k, err := rsa.GenerateKey(rand.Reader, rsaKeyBits)
	if err != nil {
		return nil, fmt.Errorf("generating QAP1 RSA key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := renameio.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing QAP1 RSA key: %w", err)
	}
	return k, nil
}

// keyResponse is CMD_keyReq's answer: the nonce and the DER (PKCS#1)
// public key, each preceded by its length.
func keyResponse(k *rsa.PrivateKey, nonce []byte) []byte {
	der := x509.MarshalPKCS1PublicKey(&k.PublicKey)
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(nonce)))
	b = append(b, nonce...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(der)))
	return append(b, der...)
}

// rsaDecryptions counts RSA private-key operations of secure logins, so
// that tests can prove how much work an unauthenticated client can cause.
var rsaDecryptions atomic.Int64

// RSADecryptions is how many RSA decryptions secure logins have cost this
// process (a test and metrics hook).
func RSADecryptions() int64 { return rsaDecryptions.Load() }

// errTooManyBlocks refuses a secure login of more than one RSA block:
// every block is a private-key operation (about 2 ms of CPU at 3072 bits)
// that an unauthenticated client could otherwise multiply.
var errTooManyBlocks = errors.New("secure login of more than one RSA block (at most one is accepted: user name and password of at most 78 bytes together)")

// decryptLogin decrypts a CMD_secLogin payload (exactly one RSA-OAEP
// block) and returns the authentication text after checking the nonce in
// it (in constant time). The block count is checked before any key
// operation.
func decryptLogin(k *rsa.PrivateKey, nonce, payload []byte) ([]byte, error) {
	size := k.Size()
	switch {
	case len(payload) == 0 || len(payload)%size != 0:
		return nil, errors.New("malformed secure login")
	case len(payload) > size:
		return nil, errTooManyBlocks
	}
	rsaDecryptions.Add(1)
	plain, err := rsa.DecryptOAEP(sha1.New(), nil, k, payload, nil)
	if err != nil {
		return nil, errors.New("secure login does not decrypt")
	}
	if len(plain) < 8+nonceLen || binary.LittleEndian.Uint32(plain) != nonceLen {
		return nil, errors.New("secure login without the nonce")
	}
	if !constantTimeEqual(plain[4:4+nonceLen], nonce) {
		return nil, errors.New("secure login with the wrong nonce")
	}
	rest := plain[4+nonceLen:]
	n := int(binary.LittleEndian.Uint32(rest))
	if n < 0 || n > len(rest)-4 {
		return nil, errors.New("secure login with a bad length")
	}
	return rest[4 : 4+n], nil
}

func constantTimeEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
