package auth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fastParams keep argon2 cheap in tests; production uses DefaultParams.
var fastParams = Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// writeUsers writes content to a users file in a fresh directory.
func writeUsers(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.txt")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// hashFor hashes password with fastParams.
func hashFor(t *testing.T, password string) string {
	t.Helper()
	h, err := HashPassword([]byte(password), fastParams)
	require.NoError(t, err)
	return h
}

// countingReader yields 0,1,2,... so that salts are deterministic.
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// withDeterministicSalts makes HashPassword reproducible for one test.
func withDeterministicSalts(t *testing.T) {
	t.Helper()
	old := saltReader
	saltReader = &countingReader{}
	t.Cleanup(func() { saltReader = old })
}
