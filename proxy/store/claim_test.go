package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNodeNameClaimedOnce: while one live node holds its name in the
// store, a second node with the same name is refused after the wait, with
// a message naming the name, the holder and what to do, and ships nothing
// for good; a node with another name is not affected.
func TestNodeNameClaimedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	_, dsn := startStore(t)
	ctx := context.Background()

	srcA := &memAudit{}
	srcA.add(5)
	a := NewShipper(dsn, "n1", srcA, nil)
	defer a.Close()
	require.NoError(t, a.Claim(ctx))
	require.NoError(t, a.Ship(ctx))

	srcB := &memAudit{}
	srcB.add(9)
	b := NewShipper(dsn, "n1", srcB, nil)
	defer b.Close()
	b.wait = 1500 * time.Millisecond
	start := time.Now()
	err := b.Claim(ctx)
	require.ErrorIs(t, err, ErrNodeNameInUse)
	assert.GreaterOrEqual(t, time.Since(start), b.wait, "a holder is waited for first, as after a crash")
	for _, want := range []string{`node name "n1"`, a.instance, "cluster.node"} {
		assert.Contains(t, err.Error(), want)
	}
	require.ErrorIs(t, b.Ship(ctx), ErrNodeNameInUse, "shipping refused")
	require.ErrorIs(t, b.Problem(), ErrNodeNameInUse, "reported for /healthz")
	assert.Len(t, shippedSeqs(t, dsn, "n1"), 5, "nothing of the second node's records in the store")

	// For good: even once the first node has gone, the second does not
	// ship under a name whose records in the store are not its own.
	a.Close()
	require.ErrorIs(t, b.Ship(ctx), ErrNodeNameInUse)
	assert.Len(t, shippedSeqs(t, dsn, "n1"), 5)

	c := NewShipper(dsn, "n2", &memAudit{}, nil)
	defer c.Close()
	require.NoError(t, c.Claim(ctx), "another name is free")
	assert.Nil(t, a.Problem())
}

// TestNodeNameFreedByKill: a node killed without a word to the server (its
// socket simply closed, as the kernel does for a killed process) frees its
// name at once: the restarted node claims it and ships on from the store's
// last record. A clean stop frees it too.
func TestNodeNameFreedByKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	_, dsn := startStore(t)
	ctx := context.Background()
	src := &memAudit{}
	src.add(4)

	a := NewShipper(dsn, "n1", src, nil)
	require.NoError(t, a.Claim(ctx))
	require.NoError(t, a.Ship(ctx))
	a.mu.Lock()
	require.NoError(t, a.conn.PgConn().Conn().Close(), "cut the socket, no Terminate message")
	a.mu.Unlock()

	src.add(3)
	b := NewShipper(dsn, "n1", src, nil)
	b.wait = 10 * time.Second
	start := time.Now()
	require.NoError(t, b.Claim(ctx), "the killed node's name is free again")
	t.Logf("claimed %s after the kill", time.Since(start).Round(time.Millisecond))
	require.NoError(t, b.Ship(ctx))
	assert.Len(t, shippedSeqs(t, dsn, "n1"), 7, "shipping resumed from the store's last record")
	b.Close()

	c := NewShipper(dsn, "n1", src, nil)
	c.wait = 0
	require.NoError(t, c.Claim(ctx), "a cleanly stopped node's name is free at once")
	c.Close()
}

// TestNodeNameHeldBySelf: an earlier session of the same process (cut off
// from the server, not yet ended there) is never taken for another node,
// however long it stays; once it ends, the name is claimed.
func TestNodeNameHeldBySelf(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	_, dsn := startStore(t)
	ctx := context.Background()
	s := NewShipper(dsn, "n1", &memAudit{}, nil)
	defer s.Close()
	s.wait = 0

	stale, err := connect(ctx, dsn)
	require.NoError(t, err)
	res, _, err := claimName(ctx, stale, "n1", s.instance)
	require.NoError(t, err)
	require.Equal(t, claimed, res)

	s.mu.Lock()
	err = s.connectClaimed(ctx)
	s.mu.Unlock()
	require.Error(t, err)
	assert.True(t, errors.Is(err, errHeld) && errors.Is(err, ErrUnreachable), "%v", err)
	assert.NotErrorIs(t, err, ErrNodeNameInUse)
	assert.Nil(t, s.Problem())

	require.NoError(t, stale.Close(ctx))
	require.NoError(t, s.Claim(ctx))
}

// TestNodeLockKey: distinct names get distinct keys, one name always the
// same key; the key is held by the shipping session itself.
func TestNodeLockKey(t *testing.T) {
	assert.Equal(t, nodeLockKey("node-1"), nodeLockKey("node-1"))
	seen := map[int64]string{}
	for _, n := range []string{"node-1", "node-2", "node-10", "a", "b", ""} {
		k := nodeLockKey(n)
		_, dup := seen[k]
		assert.False(t, dup, n)
		seen[k] = n
	}
	if testing.Short() {
		return
	}
	_, dsn := startStore(t)
	ctx := context.Background()
	s := NewShipper(dsn, "n1", &memAudit{}, nil)
	defer s.Close()
	require.NoError(t, s.Claim(ctx))
	other, err := connect(ctx, dsn)
	require.NoError(t, err)
	defer other.Close(ctx)
	var free bool
	require.NoError(t, other.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, nodeLockKey("n1")).Scan(&free))
	assert.False(t, free, "the name's key is locked while the node runs")
	var app string
	require.NoError(t, other.QueryRow(ctx, `SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'rwarden node n1 %'`).Scan(&app))
	assert.Equal(t, s.instance, app)
}
