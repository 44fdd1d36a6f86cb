package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), string(got))
}

// fullRecord fills every field, with strings that exercise each escaping rule.
func fullRecord() *Record {
	r := &Record{
		Time:       time.Date(2025, 3, 4, 5, 6, 7, 80900, time.UTC),
		Seq:        42,
		Event:      EventEval,
		Node:       "node-1",
		Session:    "s-0001",
		User:       "zoë \"q\" \\ <admin>&",
		AuthMethod: "password",
		Remote:     "[2001:db8::1]:50000",
		Listener:   "tls:0.0.0.0:6311",
		Protocol:   "framed",
		Decision:   DecisionDenied,
		Violations: []Violation{
			{Object: "base::system", Act: "call", Line: 2, Col: 5, Rule: "no rule matched"},
			{Object: "pkg:parallel", Act: "load", Rule: "p, role:analyst, pkg:*, load, deny"},
		},
		Limits:      &Limits{Wall: 30 * time.Second, Memory: 256 << 20},
		Status:      "refused",
		Duration:    1234567,
		OutputBytes: 0,
		Error:       "line1\nline2\ttab\r\x01\x1f\u2028",
		Worker:      "w-3",
		Detail:      map[string]string{"z": "last", "a": "first", "ä": "non-ascii key"},
		PrevHash:    strings.Repeat("ab", 32),
	}
	r.SetCode([]byte("x <- 1\nsystem(\"id\")\xff"), "truncated:12")
	return r
}

func TestCanonicalGolden(t *testing.T) {
	r := fullRecord()
	line := seal(nil, r)
	golden(t, "canonical.golden", line)

	// The hash is the SHA-256 of the line without its hash field, computed
	// here independently of the encoder.
	s := strings.TrimSuffix(string(line), "\n")
	i := strings.LastIndex(s, `,"hash":"`)
	require.Positive(t, i)
	sum := sha256.Sum256([]byte(s[:i] + "}"))
	assert.Equal(t, hex.EncodeToString(sum[:]), r.Hash)
	assert.Equal(t, `,"hash":"`+r.Hash+`"}`, s[i:])
}

func TestCanonicalIsValidJSONAndRoundTrips(t *testing.T) {
	recs := []*Record{fullRecord(), {Event: EventServerStart, PrevHash: ZeroHash}}
	for i := 0; i < 10; i++ {
		recs = append(recs, sample(i))
	}
	for i, r := range recs {
		if r.Time.IsZero() {
			r.Time = time.Unix(1700000000, int64(i)).UTC()
		}
		if r.PrevHash == "" {
			r.PrevHash = ZeroHash
		}
		r.Seq = uint64(i + 1)
		line := seal(nil, r)
		require.True(t, json.Valid(line), "line %d is not JSON: %s", i, line)

		got, err := ParseRecord(line)
		require.NoError(t, err, "record %d", i)
		require.NoError(t, got.CheckHash())
		assert.Equal(t, string(line[:len(line)-1]), string(Encode(got)))
		assert.Equal(t, r.User, got.User)
		assert.Equal(t, r.Violations, got.Violations)
	}
}

func TestAppendStringMatchesJSONDecoding(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`quote " and \ backslash`, `quote " and \ backslash`},
		{"ctrl \x00\x07\x1b\x7f", "ctrl \x00\x07\x1b\x7f"},
		{"nl\n cr\r tab\t", "nl\n cr\r tab\t"},
		{"html <>&", "html <>&"},
		{"sep \u2028\u2029", "sep \u2028\u2029"},
		{"bad \xff\xfe utf8", "bad \ufffd\ufffd utf8"},
		{"emoji 😀 and 中文", "emoji 😀 and 中文"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			enc := appendString(nil, tt.in)
			var got string
			require.NoError(t, json.Unmarshal(enc, &got))
			assert.Equal(t, tt.want, got)
			// Canonical: only the documented escapes appear.
			assert.NotContains(t, string(enc), `\u003c`)
			assert.NotContains(t, string(enc), `\u2028`)
		})
	}
}
