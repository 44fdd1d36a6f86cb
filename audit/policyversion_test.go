package audit

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// policy_version: stamped from Config.PolicyVersion unless the record
// carries its own (the version that decided an evaluation), part of the
// canonical encoding and the hash, absent when 0.
func TestPolicyVersionStampedAndHashed(t *testing.T) {
	var cur atomic.Int64
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file, PolicyVersion: cur.Load})
	ctx := context.Background()
	tests := []struct {
		name    string
		inForce int64
		own     int64
		want    int64
	}{
		{"no store", 0, 0, 0},
		{"stamped with the version in force", 3, 0, 3},
		{"the deciding version stands", 4, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur.Store(tt.inForce)
			r := &Record{Event: EventEval, User: "alice", Decision: DecisionAllowed, PolicyVersion: tt.own}
			require.NoError(t, l.Write(ctx, r))
			assert.Equal(t, tt.want, r.PolicyVersion)
			line := Encode(r)
			if tt.want == 0 {
				assert.NotContains(t, string(line), "policy_version")
			} else {
				assert.Contains(t, string(line), `,"policy_version":`)
			}
			back, err := ParseRecord(line)
			require.NoError(t, err)
			require.NoError(t, back.CheckHash())
			assert.Equal(t, tt.want, back.PolicyVersion)
			back.PolicyVersion++
			assert.Error(t, back.CheckHash(), "the version is covered by the hash")
		})
	}
	rep, err := Verify([]string{file})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%v", rep.Break)

	var got []int64
	_, err = Query([]string{file}, Filter{PolicyVersion: 3}, func(r *Record) error {
		got = append(got, r.PolicyVersion)
		assert.Contains(t, FormatLine(r), " policy_version=3")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int64{3, 3}, got, "query --policy-version selects that version's records")
}
