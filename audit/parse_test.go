package audit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sealedSample(t testing.TB) string {
	t.Helper()
	r := fullRecord()
	return strings.TrimSuffix(string(seal(nil, r)), "\n")
}

func TestParseRecordRejectsNonCanonical(t *testing.T) {
	good := sealedSample(t)
	_, err := ParseRecord([]byte(good))
	require.NoError(t, err)

	tests := []struct {
		name string
		edit func(string) string
	}{
		{"space after colon", func(s string) string { return strings.Replace(s, `"seq":42`, `"seq": 42`, 1) }},
		{"trailing space", func(s string) string { return s + " " }},
		{"key in other case", func(s string) string { return strings.Replace(s, `"user":`, `"User":`, 1) }},
		{"unknown field", func(s string) string { return strings.Replace(s, `"seq":42`, `"seq":42,"x":1`, 1) }},
		{"needless escape", func(s string) string { return strings.Replace(s, `"s-0001"`, `"\u0073-0001"`, 1) }},
		{"duplicate key", func(s string) string { return strings.Replace(s, `"seq":42`, `"seq":41,"seq":42`, 1) }},
		{"fields reordered", func(s string) string {
			return strings.Replace(strings.Replace(s, `"session":"s-0001",`, "", 1), `"worker":"w-3"`, `"worker":"w-3","session":"s-0001"`, 1)
		}},
		{"empty detail object", func(s string) string { return strings.Replace(s, `,"prev_hash"`, `,"violations":[],"prev_hash"`, 1) }},
		{"time not UTC", func(s string) string {
			return strings.Replace(s, `2025-03-04T05:06:07.000080900Z`, `2025-03-04T06:06:07.000080900+01:00`, 1)
		}},
		{"time short fraction", func(s string) string {
			return strings.Replace(s, `07.000080900Z`, `07.0000809Z`, 1)
		}},
		{"number with exponent", func(s string) string { return strings.Replace(s, `"seq":42`, `"seq":4.2e1`, 1) }},
		{"uppercase hash", func(s string) string {
			i := strings.LastIndex(s, `"hash":"`) + 8
			return s[:i] + strings.ToUpper(s[i:i+64]) + s[i+64:]
		}},
		{"short prev_hash", func(s string) string { return strings.Replace(s, strings.Repeat("ab", 32), "abab", 1) }},
		{"second object", func(s string) string { return s + "{}" }},
		{"not json", func(s string) string { return s[:len(s)/2] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.edit(good)
			require.NotEqual(t, good, bad, "edit must change the line")
			_, err := ParseRecord([]byte(bad))
			assert.Error(t, err)
		})
	}
}

func TestCheckHashDetectsEdit(t *testing.T) {
	r, err := ParseRecord([]byte(sealedSample(t)))
	require.NoError(t, err)
	require.NoError(t, r.CheckHash())
	r.User = "mallory"
	assert.ErrorContains(t, r.CheckHash(), "bad hash")
}

func TestParseRecordLimit(t *testing.T) {
	_, err := ParseRecord(bytes.Repeat([]byte("x"), MaxRecordBytes+1))
	assert.ErrorContains(t, err, "exceeds")
}

// FuzzParseRecord: the reader must never panic, and whatever it accepts must
// be exactly the canonical encoding of what it returns.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(sealedSample(f)))
	for i := 0; i < 5; i++ {
		r := sample(i)
		r.PrevHash = ZeroHash
		f.Add(seal(nil, r))
	}
	f.Add([]byte(`{"time":"2025-01-01T00:00:00.000000000Z","seq":1,"event":"eval","prev_hash":"` + ZeroHash + `","hash":"` + ZeroHash + `"}`))
	f.Add([]byte(`{"detail":{"a":"\ud800"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseRecord(line)
		if err != nil {
			return
		}
		enc := Encode(r)
		if !bytes.Equal(enc, bytes.TrimSuffix(line, []byte{'\n'})) {
			t.Fatalf("accepted a non-canonical line:\n in: %q\nout: %q", line, enc)
		}
		r2, err := ParseRecord(enc)
		if err != nil {
			t.Fatalf("canonical encoding does not parse: %v", err)
		}
		if ComputeHash(r) != ComputeHash(r2) {
			t.Fatal("hash is not stable across a round trip")
		}
	})
}
