package framed_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// frame builds a raw request by hand (not with WriteRequest) so that the
// reader is tested against the protocol, not against our own writer.
func frame(lines []string, length uint64, code []byte) []byte {
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	b = binary.LittleEndian.AppendUint64(b, length)
	return append(b, code...)
}

// req is a well-formed request in encoding enc.
func req(enc string, code []byte) []byte { return frame([]string{enc}, uint64(len(code)), code) }

func authLine(userPass string) string {
	return "AUTH " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing; run go test -update")
	require.Equal(t, string(want), string(got), "output differs from %s (run with -update if intended)", path)
}

// countingReader counts the bytes a reader has consumed from it.
type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless yields the same byte forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
