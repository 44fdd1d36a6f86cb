package audit

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixedChain writes n sample records with fixed times (one minute apart) as
// a valid chain, so that output formats can be compared with golden files.
func fixedChain(t *testing.T, n int) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	var buf []byte
	prev := ZeroHash
	for i := 0; i < n; i++ {
		r := sample(i)
		r.Node = []string{"", "node-a", "node-b"}[i%3] // none: a trail from before node names
		r.Time, r.Seq, r.PrevHash = t0.Add(time.Duration(i)*time.Minute), uint64(i+1), prev
		buf = seal(buf, r)
		prev = r.Hash
	}
	writeLines(t, file, strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n"))
	requireIntact(t, file)
	return file
}

func TestQueryTableGolden(t *testing.T) {
	file := fixedChain(t, 10)
	var out bytes.Buffer
	table := NewTable(&out)
	skipped, err := Query([]string{file}, Filter{}, table.Row)
	require.NoError(t, err)
	assert.Zero(t, skipped)
	golden(t, "query_table.golden", out.Bytes())
}

func TestQueryFilters(t *testing.T) {
	file := fixedChain(t, 20)
	tests := []struct {
		name   string
		filter Filter
		want   []uint64
	}{
		{"all", Filter{}, seqRange(1, 20)},
		{"user", Filter{User: "bob"}, []uint64{2, 5, 8, 11, 14, 17, 20}},
		{"event", Filter{Event: EventAuth}, []uint64{1, 5, 6, 10, 11, 15, 16, 20}},
		{"decision", Filter{Decision: DecisionDenied}, []uint64{3, 8, 13, 18}},
		{"user and decision", Filter{User: "carol", Decision: DecisionDenied}, []uint64{3, 18}},
		{"since inclusive", Filter{Since: t0.Add(17 * time.Minute)}, []uint64{18, 19, 20}},
		{"until exclusive", Filter{Until: t0.Add(2 * time.Minute)}, []uint64{1, 2}},
		{"window", Filter{Since: t0.Add(5 * time.Minute), Until: t0.Add(7 * time.Minute)}, []uint64{6, 7}},
		{"nothing", Filter{User: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint64
			_, err := Query([]string{file}, tt.filter, func(r *Record) error {
				got = append(got, r.Seq)
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func seqRange(a, b uint64) []uint64 {
	var s []uint64
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

func TestQuerySkipsBadLines(t *testing.T) {
	file := fixedChain(t, 4)
	lines := readLines(t, file)
	lines[1] = "garbage"
	writeLines(t, file, lines)
	n := 0
	skipped, err := Query([]string{file}, Filter{}, func(*Record) error { n++; return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, skipped)
	assert.Equal(t, 3, n)
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-05-01T10:00:00Z", time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC), true},
		{"2025-05-01T10:00:00.5+02:00", time.Date(2025, 5, 1, 8, 0, 0, 5e8, time.UTC), true},
		{"2025-05-01", time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), true},
		{"1h", now.Add(-time.Hour), true},
		{"90m", now.Add(-90 * time.Minute), true},
		{"-1h", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if !tt.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %v", got)
		})
	}
}

func TestDisplayEscapesHostileFields(t *testing.T) {
	r := sample(2)
	r.Time, r.Seq = t0, 7
	r.User = "eve\x1b[2J\nseq=1 fake"
	r.Violations[0].Object = "base::system\u202e"
	line := FormatLine(r)
	assert.NotContains(t, line, "\x1b")
	assert.NotContains(t, line, "\n")
	assert.NotContains(t, line, "\u202e")
	assert.Contains(t, line, `eve\x1b[2J\nseq=1 fake`)

	var out bytes.Buffer
	require.NoError(t, NewTable(&out).Row(r))
	assert.Equal(t, 2, strings.Count(out.String(), "\n"), "header and one row, no injected lines")
}
