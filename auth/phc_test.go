package auth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHashVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		params   Params
		password string
	}{
		{"fast", fastParams, "correct horse"},
		{"two threads", Params{MemoryKiB: 128, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16}, "x"},
		{"long salt and key", Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 64, KeyLen: 64}, "pässwörd ✓"},
		{"max length password", fastParams, strings.Repeat("p", MaxPasswordLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc, err := HashPassword([]byte(tt.password), tt.params)
			require.NoError(t, err)
			h, err := parsePHC(phc)
			require.NoError(t, err)
			assert.Equal(t, tt.params, h.params)
			assert.Equal(t, phc, h.String(), "format(parse(x)) == x")

			ok, err := VerifyPHC(phc, []byte(tt.password))
			require.NoError(t, err)
			assert.True(t, ok, "right password")
			ok, err = VerifyPHC(phc, []byte(tt.password+"!"))
			require.NoError(t, err)
			assert.False(t, ok, "wrong password")
		})
	}
}

func TestHashPasswordSaltsDiffer(t *testing.T) {
	a, b := hashFor(t, "same"), hashFor(t, "same")
	assert.NotEqual(t, a, b)
}

func TestHashPasswordDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("19 MiB argon2 in -short mode")
	}
	phc, err := HashPassword([]byte("pw"), DefaultParams())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$"), phc)
}

func TestHashPasswordRefuses(t *testing.T) {
	tests := []struct {
		name     string
		password string
		params   Params
		want     string
	}{
		{"empty password", "", fastParams, "empty password"},
		{"long password", strings.Repeat("p", MaxPasswordLen+1), fastParams, "longer than"},
		{"zero time", "pw", Params{MemoryKiB: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}, "time 0"},
		{"zero threads", "pw", Params{MemoryKiB: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}, "threads 0"},
		{"too little memory", "pw", Params{MemoryKiB: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, "memory 15"},
		{"too much memory", "pw", Params{MemoryKiB: MaxMemoryKiB + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "memory"},
		{"too many passes", "pw", Params{MemoryKiB: 64, Time: MaxTime + 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "time"},
		{"short salt", "pw", Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}, "salt length"},
		{"short key", "pw", Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}, "key length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := HashPassword([]byte(tt.password), tt.params)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParsePHCMalformed(t *testing.T) {
	const salt, key = "AAECAwQFBgcICQoLDA0ODw", "gZ4QUWBsMaDVUzRfy2cv8QypvgfTZ705MoUQUPgNbvc"
	tests := []struct {
		name, phc, want string
	}{
		{"empty", "", "want $argon2id"},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key, "want $argon2id"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, "not argon2id"},
		{"bcrypt", "$2b$10$abcdefghijklmnopqrstuu5xG4W0k2kH0dBz3cO8C3u2nJ6lV8yYdS", "want $argon2id"},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, "version"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "want $argon2id"},
		{"extra field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x", "want $argon2id"},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key, "expected parameter m="},
		{"missing p", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key, "exactly m=,t=,p="},
		{"keyid param", "$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key, "exactly m=,t=,p="},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key, "canonical"},
		{"signed", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key, "number in range"},
		{"negative", "$argon2id$v=19$m=64,t=-1,p=1$" + salt + "$" + key, "number in range"},
		{"p overflow", "$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key, "number in range"},
		{"huge memory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, "memory"},
		{"huge time", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key, "time"},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, "time 0"},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, "threads 0"},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, "salt is not"},
		{"url alphabet", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$gZ4QUWBsMaDVUzRfy2cv8QypvgfTZ705MoUQUPgNb_c", "hash is not"},
		{"non-canonical bits", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:len(key)-1] + "d", "hash is not"},
		{"empty salt", "$argon2id$v=19$m=64,t=1,p=1$$" + key, "salt length 0"},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA", "key length 3"},
		{"oversized salt", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 200) + "$" + key, "too long"},
		{"oversized string", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 1000), "longer than"},
		{"trailing newline", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "\n", "hash is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePHC(tt.phc)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformedPHC)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), key[:10], "errors never echo the hash")

			ok, verr := VerifyPHC(tt.phc, []byte("pw"))
			assert.Error(t, verr)
			assert.False(t, ok)
		})
	}
}

// FuzzParsePHC: parsing never panics, accepted strings respect the caps and
// round-trip exactly.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$HYE1Ju3pUOunXciw1PfBNA$gZ4QUWBsMaDVUzRfy2cv8QypvgfTZ705MoUQUPgNbvc")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$AA$AA")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$$")
	f.Add("$$$$$$$$$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		require.NoError(t, h.params.Validate())
		assert.Equal(t, s, h.String())
		h2, err := parsePHC(h.String())
		require.NoError(t, err)
		assert.True(t, h.equal(h2))
	})
}
