package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startStore(t *testing.T) (*pgtest.Cluster, string) {
	t.Helper()
	pg := pgtest.Start(t)
	dsn := pg.DSN()
	v, err := Init(context.Background(), dsn, validBundle(), "test")
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
	return pg, dsn
}

func TestVersionsAreConsecutive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	_, dsn := startStore(t)
	ctx := context.Background()

	v, err := Init(ctx, dsn, validBundle(), "test")
	require.NoError(t, err)
	assert.Equal(t, int64(1), v, "init again: schema kept, no new version")

	// Concurrent changes each get their own number, none repeated or skipped.
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := Change(ctx, dsn, "test", fmt.Sprint("change ", i), func(b Bundle) (Bundle, error) {
				b[UsersFile] += fmt.Sprintf("u%d:x\n", i)
				return b, nil
			})
			assert.NoError(t, err)
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	assert.Equal(t, []int64{2, 3, 4, 5, 6, 7}, got)

	v, b, err := Latest(ctx, dsn)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v)
	for i := range 6 {
		assert.Contains(t, b[UsersFile], fmt.Sprintf("u%d:x\n", i), "no change lost")
	}

	_, err = Change(ctx, dsn, "test", "bad", func(b Bundle) (Bundle, error) {
		b["../../etc/passwd"] = "x"
		return b, nil
	})
	require.Error(t, err, "an invalid bundle is refused")
	v, _, err = Latest(ctx, dsn)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v, "and makes no version")
}

func TestChangeRefusedWhenUnreachable(t *testing.T) {
	_, err := Change(context.Background(), "postgres://nobody@127.0.0.1:1/x?connect_timeout=2", "test", "x",
		func(b Bundle) (Bundle, error) { return b, nil })
	require.ErrorIs(t, err, ErrUnreachable)
	assert.Contains(t, err.Error(), "change refused, nothing was changed")
}

// TestNodeFollowsStore: a change reaches a following node within a second;
// with PostgreSQL stopped the node reports unhealthy and keeps its version,
// changes are refused; restarted, the node is healthy again and catches up.
func TestNodeFollowsStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg, dsn := startStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	n := NewNode(dsn, filepath.Join(t.TempDir(), "store"), nil)
	v, err := n.Bootstrap(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
	applied := make(chan int64, 16)
	go n.Run(ctx, func(v int64, point func(int64) error) error {
		assert.Equal(t, v-1, n.Local().CurrentVersion(), "written, not yet pointed at, when apply is called")
		require.NoError(t, point(v))
		assert.Equal(t, v, n.Local().CurrentVersion(), "pointed at by apply")
		applied <- v
		return nil
	})
	require.Eventually(t, func() bool { return n.Health() == nil }, 10*time.Second, 20*time.Millisecond)

	change := func() (int64, error) {
		return Change(ctx, dsn, "test", "x", func(b Bundle) (Bundle, error) {
			b[UsersFile] += "x"
			return b, nil
		})
	}
	v, err = change()
	require.NoError(t, err)
	start := time.Now()
	select {
	case got := <-applied:
		assert.Equal(t, v, got)
		assert.Less(t, time.Since(start), time.Second, "applied within a second of the commit")
	case <-time.After(5 * time.Second):
		t.Fatal("change not applied")
	}

	pg.Stop(t)
	require.Eventually(t, func() bool { return n.Health() != nil }, 10*time.Second, 20*time.Millisecond)
	assert.Contains(t, n.Health().Error(), "store unreachable since")
	assert.Contains(t, n.Health().Error(), fmt.Sprintf("serving policy version %d", v))
	_, err = change()
	require.ErrorIs(t, err, ErrUnreachable, "a change is refused while the store is down")
	assert.Equal(t, v, n.Local().CurrentVersion(), "the last version stays installed")

	pg.Restart(t)
	v2, err := change()
	require.NoError(t, err)
	select {
	case got := <-applied:
		assert.Equal(t, v2, got, "caught up after the restart")
	case <-time.After(10 * time.Second):
		t.Fatal("node did not catch up")
	}
	require.Eventually(t, func() bool { return n.Health() == nil }, 10*time.Second, 20*time.Millisecond)
}

func TestBootstrapWithoutStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	n := NewNode("postgres://nobody@127.0.0.1:1/x?connect_timeout=2", dir, nil)
	_, err := n.Bootstrap(context.Background())
	require.Error(t, err, "nothing installed and no store: refuse to start")

	require.NoError(t, Local{Dir: dir}.Install(4, validBundle(), 0))
	v, err := n.Bootstrap(context.Background())
	require.NoError(t, err, "a version installed before: start with it")
	assert.Equal(t, int64(4), v)
	assert.Error(t, n.Health(), "but degraded")
}

// memAudit is an audit source of synthetic lines (the shipper only reads
// seq, time, event, user and policy_version from them).
type memAudit struct {
	mu    sync.Mutex
	lines [][]byte
	user  string // in every record; "" is alice (tells two trails apart)
}

func (m *memAudit) add(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		seq := len(m.lines) + 1
		user := m.user
		if user == "" {
			user = "alice"
		}
		m.lines = append(m.lines, fmt.Appendf(nil, `{"time":"2026-12-04T21:00:00Z","seq":%d,"event":"eval","user":%q,"policy_version":3}`, seq, user))
	}
}

func (m *memAudit) HeadSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.lines))
}

func (m *memAudit) After(after uint64, fn func(uint64, []byte) error) error {
	m.mu.Lock()
	lines := m.lines[min(int(after), len(m.lines)):]
	m.mu.Unlock()
	for i, l := range lines {
		if err := fn(after+uint64(i)+1, l); err != nil {
			return err
		}
	}
	return nil
}

func shippedSeqs(t *testing.T, dsn, node string) []uint64 {
	var seqs []uint64
	require.NoError(t, AuditLines(context.Background(), dsn, node, func(_ string, line []byte) error {
		r, err := parseShipRow(uint64(len(seqs)+1), line)
		if err != nil {
			return err
		}
		seqs = append(seqs, r.seq)
		return nil
	}))
	return seqs
}

func TestShipperResumesFromLocalTrail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg, dsn := startStore(t)
	ctx := context.Background()
	src := &memAudit{}
	src.add(shipBatch + 7) // more than one batch
	s := NewShipper(dsn, "n1", src, nil)
	require.NoError(t, s.Ship(ctx))
	assert.Len(t, shippedSeqs(t, dsn, "n1"), shipBatch+7)
	assert.Zero(t, s.Backlog())

	pg.Stop(t)
	src.add(20)
	err := s.Ship(ctx)
	require.True(t, errors.Is(err, ErrUnreachable), "%v", err)
	assert.Equal(t, uint64(shipBatch+27), s.Backlog(), "unknown while down: counted from the head")

	pg.Restart(t)
	// A fresh shipper (a restarted node) resumes from the store's last seq.
	s2 := NewShipper(dsn, "n1", src, nil)
	require.NoError(t, s2.Ship(ctx))
	s2.Close() // releases the name (claim.go): one live shipper per name
	require.NoError(t, s.Ship(ctx), "the old one finds nothing left and inserts no duplicate")
	seqs := shippedSeqs(t, dsn, "n1")
	require.Len(t, seqs, shipBatch+27)
	for i, q := range seqs {
		require.Equal(t, uint64(i+1), q, "no gap, no duplicate")
	}
	assert.Empty(t, shippedSeqs(t, dsn, "n2"))
}

// A version the node rejects (its policy does not load here) leaves nothing
// behind: "current" points back to the version in force, which survives any
// number of rejected versions after it, and the next good one applies.
func TestNodeRejectedVersionPointsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	_, dsn := startStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	n := NewNode(dsn, filepath.Join(t.TempDir(), "store"), nil)
	first, err := n.Bootstrap(ctx)
	require.NoError(t, err)
	var mu sync.Mutex
	reject := map[int64]bool{}
	seen := make(chan int64, 16)
	go n.Run(ctx, func(v int64, point func(int64) error) error {
		defer func() { seen <- v }()
		require.NoError(t, point(v))
		mu.Lock()
		defer mu.Unlock()
		if reject[v] {
			return fmt.Errorf("policy of version %d does not load", v)
		}
		return nil
	})
	require.Eventually(t, func() bool { return n.Health() == nil }, 10*time.Second, 20*time.Millisecond)

	change := func(bad bool) int64 {
		mu.Lock()
		defer mu.Unlock()
		v, err := Change(ctx, dsn, "test", "x", func(b Bundle) (Bundle, error) {
			b[UsersFile] += "x"
			return b, nil
		})
		require.NoError(t, err)
		reject[v] = bad
		return v
	}
	wait := func(want int64) {
		t.Helper()
		select {
		case got := <-seen:
			require.Equal(t, want, got)
		case <-time.After(10 * time.Second):
			t.Fatalf("version %d not seen", want)
		}
	}
	for i := 0; i < 3; i++ {
		v := change(true)
		wait(v) // apply has returned; the node points back right after
		assert.Eventually(t, func() bool { return n.Local().CurrentVersion() == first }, 5*time.Second, 5*time.Millisecond,
			"a rejected version %d is not left in force on disk", v)
	}
	good := change(false)
	wait(good)
	assert.Equal(t, good, n.Local().CurrentVersion())
}
