package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chainFile writes n records through a real Log and returns the file.
func chainFile(t *testing.T, n int) (string, *Log) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, n)
	require.NoError(t, l.Close())
	return file, l
}

// forge builds a record that a forger with the file but without the writer
// would produce: well-formed and correctly hashed, chained to prev.
func forge(t *testing.T, prevLine string) string {
	t.Helper()
	prev, err := ParseRecord([]byte(prevLine))
	require.NoError(t, err)
	r := sample(1)
	r.User = "mallory"
	r.Time, r.Seq, r.PrevHash = prev.Time, prev.Seq+1, prev.Hash
	return strings.TrimSuffix(string(seal(nil, r)), "\n")
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(t *testing.T, lines []string) []string
		wantLine int
		reason   string
	}{
		{"one character of a value", func(t *testing.T, l []string) []string {
			l[4] = strings.Replace(l[4], `"user":"bob"`, `"user":"bot"`, 1)
			return l
		}, 5, "bad hash"},
		{"one character of the hash", func(t *testing.T, l []string) []string {
			i := strings.LastIndex(l[4], `"hash":"`) + 8
			c := byte('0')
			if l[4][i] == '0' {
				c = '1'
			}
			l[4] = l[4][:i] + string(c) + l[4][i+1:]
			return l
		}, 5, "bad hash"},
		{"one digit of seq", func(t *testing.T, l []string) []string {
			l[4] = strings.Replace(l[4], `"seq":5`, `"seq":6`, 1)
			return l
		}, 5, "bad hash"},
		{"a space added", func(t *testing.T, l []string) []string {
			l[4] = strings.Replace(l[4], `,"event"`, `, "event"`, 1)
			return l
		}, 5, "altered"},
		{"a record deleted", func(t *testing.T, l []string) []string {
			return append(l[:4], l[5:]...)
		}, 5, "seq gap: expected seq 5, found 6"},
		{"the first record deleted", func(t *testing.T, l []string) []string {
			return l[1:]
		}, 1, "does not start at seq 1"},
		{"two records swapped", func(t *testing.T, l []string) []string {
			l[3], l[4] = l[4], l[3]
			return l
		}, 4, "seq gap: expected seq 4, found 5"},
		{"a record replayed", func(t *testing.T, l []string) []string {
			return append(l[:5], append([]string{l[4]}, l[5:]...)...)
		}, 6, "replayed"},
		{"a forged record inserted", func(t *testing.T, l []string) []string {
			return append(l[:5], append([]string{forge(t, l[4])}, l[5:]...)...)
		}, 6, "inserted"},
		{"a forged record with a made-up hash", func(t *testing.T, l []string) []string {
			f := forge(t, l[4])
			return append(l[:5], append([]string{f[:len(f)-10] + `00000000"}`}, l[5:]...)...)
		}, 6, "bad hash"},
		{"a record replaced by a forged one", func(t *testing.T, l []string) []string {
			l[5] = forge(t, l[4])
			return l
		}, 7, "prev_hash mismatch"},
		{"a line that is not JSON", func(t *testing.T, l []string) []string {
			l[2] = "hello"
			return l
		}, 3, "unparsable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := chainFile(t, 10)
			requireIntact(t, file)
			writeLines(t, file, tt.tamper(t, readLines(t, file)))
			rep, err := Verify([]string{file})
			require.NoError(t, err)
			require.NotNil(t, rep.Break, "tampering must be detected")
			assert.Equal(t, file, rep.Break.File)
			assert.Equal(t, tt.wantLine, rep.Break.Line, rep.Break.String())
			assert.Contains(t, rep.Break.Reason, tt.reason)
		})
	}
}

func TestVerifyDetectsTruncationInTheMiddle(t *testing.T) {
	file, _ := chainFile(t, 10)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := readLines(t, file)
	cut := len(strings.Join(lines[:6], "\n")) + 1 + len(lines[6])/2 // halfway through line 7
	require.NoError(t, os.WriteFile(file, b[:cut], 0o600))

	rep, err := Verify([]string{file})
	require.NoError(t, err)
	require.NotNil(t, rep.Break)
	assert.Equal(t, 7, rep.Break.Line)
	assert.Contains(t, rep.Break.Reason, "truncated")
	assert.Equal(t, 6, rep.Records)
}

func TestVerifyAnchorsTheTail(t *testing.T) {
	file, l := chainFile(t, 10)
	_, head := l.Head()
	rep, err := VerifyWith([]string{file}, VerifyOptions{ExpectLast: head})
	require.NoError(t, err)
	require.Nil(t, rep.Break)

	// Cutting whole records off the end leaves a valid chain: only the
	// anchor shows it.
	lines := readLines(t, file)
	writeLines(t, file, lines[:8])
	requireIntact(t, file)
	rep, err = VerifyWith([]string{file}, VerifyOptions{ExpectLast: head})
	require.NoError(t, err)
	require.NotNil(t, rep.Break)
	assert.Contains(t, rep.Break.Reason, "cut from the end")

	mid, err := ParseRecord([]byte(lines[4]))
	require.NoError(t, err)
	rep, err = VerifyWith([]string{file}, VerifyOptions{Anchors: []string{mid.Hash}})
	require.NoError(t, err)
	assert.Nil(t, rep.Break, "an earlier anchor allows later records")
	rep, err = VerifyWith([]string{file}, VerifyOptions{Anchors: []string{head}})
	require.NoError(t, err)
	require.NotNil(t, rep.Break)
	assert.Contains(t, rep.Break.Reason, "anchor")
}

func TestVerifyPartialStart(t *testing.T) {
	file, _ := chainFile(t, 6)
	writeLines(t, file, readLines(t, file)[2:]) // older records archived
	rep, err := VerifyWith([]string{file}, VerifyOptions{PartialStart: true})
	require.NoError(t, err)
	require.Nil(t, rep.Break)
	assert.Equal(t, uint64(3), rep.FirstSeq)
	assert.Equal(t, 4, rep.Records)
}

func rotatedChain(t *testing.T) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file, RotateBytes: 3000})
	writeN(t, l, 0, 40)
	require.NoError(t, l.Close())
	files := allFiles(t, file)
	require.Greater(t, len(files), 3)
	requireIntact(t, files...)
	return files
}

func TestVerifyAcrossFiles(t *testing.T) {
	t.Run("an older file cut at a record boundary", func(t *testing.T) {
		files := rotatedChain(t)
		lines := readLines(t, files[1])
		writeLines(t, files[1], lines[:len(lines)-2])
		rep, err := Verify(files)
		require.NoError(t, err)
		require.NotNil(t, rep.Break)
		assert.Equal(t, files[2], rep.Break.File)
		assert.Equal(t, 1, rep.Break.Line)
		assert.Contains(t, rep.Break.Reason, "seq gap")
		assert.Contains(t, rep.Break.Reason, filepath.Base(files[1])+" ends at seq")
	})
	t.Run("a middle file missing", func(t *testing.T) {
		files := rotatedChain(t)
		rep, err := Verify(append(files[:1:1], files[2:]...))
		require.NoError(t, err)
		require.NotNil(t, rep.Break)
		assert.Equal(t, files[2], rep.Break.File)
		assert.Equal(t, 1, rep.Break.Line)
	})
	t.Run("a character changed in a rotated file", func(t *testing.T) {
		files := rotatedChain(t)
		lines := readLines(t, files[0])
		lines[1] = strings.Replace(lines[1], `"event":"`, `"event":"x`, 1)
		writeLines(t, files[0], lines)
		rep, err := Verify(files)
		require.NoError(t, err)
		require.NotNil(t, rep.Break)
		assert.Equal(t, files[0], rep.Break.File)
		assert.Equal(t, 2, rep.Break.Line)
	})
}

func TestVerifyUnreadableFile(t *testing.T) {
	_, err := Verify([]string{filepath.Join(t.TempDir(), "missing")})
	assert.Error(t, err)
}

func TestVerifyEmptyFileIsIntact(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	rep := requireIntact(t, file)
	assert.Zero(t, rep.Records)
}
