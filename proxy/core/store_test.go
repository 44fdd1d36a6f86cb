package core

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AuditAfter is what audit shipping reads: every record after a seq, in
// chain order, across rotated files, as the canonical lines that verify.
func TestAuditAfterAcrossRotation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(audit.Config{File: file, RotateBytes: 600, Fsync: audit.FsyncNever})
	require.NoError(t, err)
	const n = 40
	for i := range n {
		require.NoError(t, l.Write(context.Background(), &audit.Record{Event: audit.EventAuth, User: fmt.Sprintf("u%d", i), Status: audit.StatusSuccess}))
	}
	require.NoError(t, l.Close())
	rotated, err := audit.RotatedFiles(file)
	require.NoError(t, err)
	require.Greater(t, len(rotated), 3, "the test needs several rotated files")

	c := &Core{cfg: &config.Config{Audit: config.AuditConfig{File: file}}}
	for _, after := range []uint64{0, 1, 7, 20, 39, 40, 41} {
		t.Run(fmt.Sprint("after ", after), func(t *testing.T) {
			var seqs []uint64
			require.NoError(t, c.AuditAfter(after, func(seq uint64, line []byte) error {
				r, err := audit.ParseRecord(line)
				require.NoError(t, err)
				require.NoError(t, r.CheckHash())
				assert.Equal(t, seq, r.Seq)
				seqs = append(seqs, seq)
				return nil
			}))
			var want []uint64
			for s := after + 1; s <= n; s++ {
				want = append(want, s)
			}
			assert.Equal(t, want, seqs)
		})
	}
	stop := fmt.Errorf("enough")
	got := 0
	err = c.AuditAfter(5, func(uint64, []byte) error {
		if got++; got == 3 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop, "the reader's own error stops it and comes back (a full batch)")
	assert.Equal(t, 3, got)
}
