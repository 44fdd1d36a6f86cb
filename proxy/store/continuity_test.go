package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShipperRefusesDivergedTrail: a node whose local trail does not
// continue what the store holds under its name (started afresh, or
// another trail altogether) ships nothing, for good, and says why; the
// node's own trail, restarted, ships on; one whose record the store has
// was archived away is checked by the next record's prev_hash.
func TestShipperRefusesDivergedTrail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	_, dsn := startStore(t)
	ctx := context.Background()
	own := &memAudit{}
	own.add(5)
	a := NewShipper(dsn, "n1", own, nil)
	require.NoError(t, a.Ship(ctx))
	a.Close()

	for _, tt := range []struct {
		name string
		n    int
		want string
	}{
		{"started afresh, shorter", 3, "local trail ends at seq 3"},
		{"another trail, longer", 8, "record 5 differs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other := &memAudit{user: "mallory"}
			other.add(tt.n)
			s := NewShipper(dsn, "n1", other, nil)
			defer s.Close()
			err := s.Ship(ctx)
			require.ErrorIs(t, err, ErrTrailDiverged)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "cluster.node")
			require.ErrorIs(t, s.Problem(), ErrTrailDiverged)
			require.ErrorIs(t, s.Ship(ctx), ErrTrailDiverged, "for good")
			assert.Len(t, shippedSeqs(t, dsn, "n1"), 5, "nothing of it shipped")
		})
	}

	own.add(2)
	b := NewShipper(dsn, "n1", own, nil)
	require.NoError(t, b.Ship(ctx), "its own trail ships on")
	assert.Len(t, shippedSeqs(t, dsn, "n1"), 7)
	b.Close()

	// Record 7 archived away locally: record 8 must link to the stored 7.
	chained := func(prev string, from, to int) *memAudit {
		m := &memAudit{}
		for seq := from; seq <= to; seq++ {
			m.lines = append(m.lines, fmt.Appendf(nil, `{"time":"2026-12-04T21:00:00Z","seq":%d,"event":"eval","user":"alice","prev_hash":%q,"hash":"h%d"}`, seq, prev, seq))
			prev = fmt.Sprintf("h%d", seq)
		}
		return m
	}
	c := NewShipper(dsn, "n2", chained("0", 1, 7), nil)
	require.NoError(t, c.Ship(ctx))
	c.Close()
	tail := &archived{memAudit: chained("h7", 8, 9), first: 8}
	d := NewShipper(dsn, "n2", tail, nil)
	require.NoError(t, d.Ship(ctx), "record 8 follows the stored 7 by prev_hash")
	d.Close()
	assert.Len(t, shippedSeqs(t, dsn, "n2"), 9)
	bad := &archived{memAudit: chained("h-other", 10, 11), first: 10}
	e := NewShipper(dsn, "n2", bad, nil)
	defer e.Close()
	err := e.Ship(ctx)
	require.ErrorIs(t, err, ErrTrailDiverged)
	assert.Contains(t, err.Error(), "record 10 does not follow it")
}

// archived is a trail whose files before seq first were archived away: its
// lines are records first, first+1, ...
type archived struct {
	*memAudit
	first uint64
}

func (a *archived) HeadSeq() uint64 { return a.first - 1 + a.memAudit.HeadSeq() }

func (a *archived) After(after uint64, fn func(uint64, []byte) error) error {
	a.mu.Lock()
	lines := a.lines
	a.mu.Unlock()
	for i, l := range lines {
		seq := a.first + uint64(i)
		if seq <= after {
			continue
		}
		if err := fn(seq, l); err != nil {
			return err
		}
	}
	return nil
}
