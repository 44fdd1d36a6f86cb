package core

import (
	"context"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShareKey(t *testing.T) {
	assert.Equal(t, "user alice", shareKey(Identity{User: "alice", Method: auth.MethodPassword}, Peer{Remote: "10.0.0.1:5"}))
	assert.Equal(t, "anonymous user guest from 127.0.0.9",
		shareKey(Identity{User: "guest", Method: auth.MethodAnonymous}, Peer{Remote: "127.0.0.9:4000"}))
	assert.Equal(t, "anonymous user guest from unix:uid=0",
		shareKey(Identity{User: "guest", Method: auth.MethodAnonymous}, Peer{Remote: "unix:uid=0,pid=1"}))
}

// startBudgetCore is a started core with the given memory budget, reserve
// and per-user share (0: the default).
func startBudgetCore(t *testing.T, budget, reserve config.Size, share int) (*Core, *config.Config, context.Context) {
	t.Helper()
	needR(t)
	cfg := testConfig(t)
	cfg.Pool.MemoryBudget, cfg.Pool.MemoryReserve, cfg.Pool.UserMemoryShare = budget, reserve, share
	c := openCore(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	require.NoError(t, c.Start(ctx))
	return c, cfg, ctx
}

// holdMemory has alice's session hold about 320 MB and waits until the
// budget's samples show it.
func holdMemory(t *testing.T, c *Core, s *Session) {
	t.Helper()
	out := s.Evaluate(context.Background(), []byte("x <- numeric(4e7); x[] <- 1; invisible(0)"), EvalOptions{})
	require.True(t, out.OK(), "%s", out.ErrorMessage())
	require.Eventually(t, func() bool { return c.budget.inUse() > 300<<20 }, 30*time.Second, 50*time.Millisecond)
}

// Issue 12: the memory budget counts what sessions actually use; a session
// that would not fit is refused with the limit that was hit, the refusal is
// audited, and the session is admitted once memory is freed.
func TestMemoryBudgetRefusesAndAudits(t *testing.T) {
	c, cfg, ctx := startBudgetCore(t, 512<<20, 160<<20, 0)

	a, err := c.OpenSession(ctx, identity("alice"), Peer{Remote: "127.0.0.1:1"})
	require.NoError(t, err)
	holdMemory(t, c, a)

	b, err := c.OpenSession(ctx, identity("demo"), Peer{Remote: "127.0.0.1:2"})
	require.NoError(t, err)
	defer b.Close()
	out := b.Evaluate(ctx, []byte("1 + 1"), EvalOptions{})
	require.False(t, out.OK())
	assert.Contains(t, out.ErrorMessage(), "memory budget: sessions use ")
	assert.Contains(t, out.ErrorMessage(), "of 512MiB and 160MiB is kept in reserve")

	var refused *audit.Record
	_, err = audit.Query([]string{cfg.Audit.File}, audit.Filter{Event: audit.EventEval, User: "demo"}, func(r *audit.Record) error {
		refused = r
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, refused, "the refusal is audited")
	assert.Contains(t, refused.Error, "memory budget")

	a.Close() // frees alice's memory: demo fits now
	out = b.Evaluate(ctx, []byte("1 + 1"), EvalOptions{})
	assert.True(t, out.OK(), "%s", out.ErrorMessage())
}

// One user cannot take more than their share; others are still admitted.
func TestMemoryBudgetUserShare(t *testing.T) {
	c, _, ctx := startBudgetCore(t, 4<<30, 256<<20, 5) // 204 MiB each

	a, err := c.OpenSession(ctx, identity("alice"), Peer{Remote: "127.0.0.1:1"})
	require.NoError(t, err)
	defer a.Close()
	holdMemory(t, c, a)

	a2, err := c.OpenSession(ctx, identity("alice"), Peer{Remote: "127.0.0.1:3"})
	require.NoError(t, err)
	defer a2.Close()
	out := a2.Evaluate(ctx, []byte("1 + 1"), EvalOptions{})
	require.False(t, out.OK())
	assert.Contains(t, out.ErrorMessage(), "memory budget: the sessions of user alice use ")

	d, err := c.OpenSession(ctx, identity("demo"), Peer{Remote: "127.0.0.1:2"})
	require.NoError(t, err)
	defer d.Close()
	out = d.Evaluate(ctx, []byte("1 + 1"), EvalOptions{})
	assert.True(t, out.OK(), "%s", out.ErrorMessage())
}
