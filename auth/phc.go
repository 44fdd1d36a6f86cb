package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// MaxPasswordLen bounds the password bytes accepted for hashing and
// verification. argon2 itself takes any length, but hashing a multi-megabyte
// "password" is free work for an attacker; no real password is this long.
const MaxPasswordLen = 1024

// maxPHCLen bounds a PHC string before it is split or decoded. With the caps
// in params.go a valid string is under 250 bytes.
const maxPHCLen = 512

// ErrMalformedPHC is wrapped by every PHC parsing error.
var ErrMalformedPHC = errors.New("malformed argon2id PHC string")

// b64 is the PHC encoding: standard alphabet, no padding, and Strict so that
// there is exactly one encoding per byte string (non-zero trailing bits are
// rejected), which keeps parse/format round trips exact.
var b64 = base64.RawStdEncoding.Strict()

// saltReader is where salts come from. Tests swap it for a deterministic
// reader to produce golden files; nothing else may touch it.
var saltReader io.Reader = rand.Reader

// phcHash is a parsed argon2id PHC string.
type phcHash struct {
	params Params
	salt   []byte
	key    []byte
}

// String formats h as $argon2id$v=19$m=..,t=..,p=..$salt$key.
func (h phcHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC parses and validates an argon2id PHC string. It accepts only the
// canonical form this package writes (version 19, parameters in the order
// m,t,p, no optional fields), refuses parameters outside the caps, and its
// errors never contain the salt or key.
func parsePHC(s string) (phcHash, error) {
	var h phcHash
	if len(s) > maxPHCLen {
		return h, fmt.Errorf("%w: longer than %d bytes", ErrMalformedPHC, maxPHCLen)
	}
	// "$argon2id$v=19$m=..,t=..,p=..$salt$key" splits into 6 fields, the
	// first empty. SplitN bounds the work on hostile input.
	f := strings.SplitN(s, "$", 7)
	if len(f) != 6 || f[0] != "" {
		return h, fmt.Errorf("%w: want $argon2id$v=19$m=M,t=T,p=P$salt$hash", ErrMalformedPHC)
	}
	if f[1] != "argon2id" {
		return h, fmt.Errorf("%w: algorithm is not argon2id", ErrMalformedPHC)
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("%w: version is not v=%d", ErrMalformedPHC, argon2.Version)
	}
	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return h, fmt.Errorf("%w: parameters must be exactly m=,t=,p=", ErrMalformedPHC)
	}
	m, err := phcUint(kv[0], "m", 32)
	if err != nil {
		return h, err
	}
	t, err := phcUint(kv[1], "t", 32)
	if err != nil {
		return h, err
	}
	p, err := phcUint(kv[2], "p", 8)
	if err != nil {
		return h, err
	}
	// Check encoded lengths against the caps before decoding anything.
	if len(f[4]) > b64.EncodedLen(MaxSaltLen) || len(f[5]) > b64.EncodedLen(MaxKeyLen) {
		return h, fmt.Errorf("%w: salt or hash too long", ErrMalformedPHC)
	}
	// The base64 decoder skips '\r' and '\n'; only the alphabet is canonical.
	if !isB64(f[4]) {
		return h, fmt.Errorf("%w: salt is not unpadded base64", ErrMalformedPHC)
	}
	if !isB64(f[5]) {
		return h, fmt.Errorf("%w: hash is not unpadded base64", ErrMalformedPHC)
	}
	if h.salt, err = b64.DecodeString(f[4]); err != nil {
		return h, fmt.Errorf("%w: salt is not unpadded base64", ErrMalformedPHC)
	}
	if h.key, err = b64.DecodeString(f[5]); err != nil {
		return h, fmt.Errorf("%w: hash is not unpadded base64", ErrMalformedPHC)
	}
	h.params = Params{MemoryKiB: uint32(m), Time: uint32(t), Threads: uint8(p),
		SaltLen: uint32(len(h.salt)), KeyLen: uint32(len(h.key))}
	if err := h.params.Validate(); err != nil {
		return h, fmt.Errorf("%w: %w", ErrMalformedPHC, err)
	}
	return h, nil
}

// isB64 reports whether s uses only the standard base64 alphabet.
func isB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// phcUint parses "name=decimal" with no sign, no leading zeros and at most
// bits bits.
func phcUint(kv, name string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(kv, name+"=")
	if !ok {
		return 0, fmt.Errorf("%w: expected parameter %s=", ErrMalformedPHC, name)
	}
	if v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("%w: parameter %s is not a canonical number", ErrMalformedPHC, name)
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %s is not a number in range", ErrMalformedPHC, name)
	}
	return n, nil
}

// HashPassword hashes password with argon2id under p and a fresh random salt,
// and returns the PHC string. Empty and over-long passwords are refused.
func HashPassword(password []byte, p Params) (string, error) {
	if len(password) == 0 {
		return "", errors.New("hashing password: empty password")
	}
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("hashing password: longer than %d bytes", MaxPasswordLen)
	}
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(saltReader, salt); err != nil {
		return "", fmt.Errorf("hashing password: reading salt: %w", err)
	}
	key := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return phcHash{params: p, salt: salt, key: key}.String(), nil
}

// VerifyPHC reports whether password matches the argon2id PHC string phc,
// using the parameters stored in phc (within the caps). A malformed phc is
// an error; a wrong password is (false, nil).
func VerifyPHC(phc string, password []byte) (bool, error) {
	h, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLen {
		return false, nil
	}
	return h.matches(argon2.IDKey, password), nil
}

// deriveFunc has argon2.IDKey's signature; the Store takes one so that tests
// can count computations and check which parameters they used.
type deriveFunc func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte

// matches runs argon2id with h's parameters and compares in constant time.
func (h phcHash) matches(derive deriveFunc, password []byte) bool {
	got := derive(password, h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, h.params.KeyLen)
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// equal reports whether two parsed hashes are identical (tests and fuzzing).
func (h phcHash) equal(o phcHash) bool {
	return h.params == o.params && bytes.Equal(h.salt, o.salt) && bytes.Equal(h.key, o.key)
}
