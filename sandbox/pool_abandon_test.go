package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A start that the waiting session gave up on finishes and serves the next
// session (issue 12: under bursts, nearly finished cold starts were thrown
// away). Cold starts, so that the start certainly outlasts the deadline.
func TestAbandonedStartServesNextSession(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0; c.Max = 1; c.DisableFork = true })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := p.Acquire(ctx, Binding{Limits: testLimits()})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool { return p.Stats().Idle == 1 }, time.Minute, 10*time.Millisecond,
		"the abandoned start did not finish into an idle worker")
	st := p.Stats()
	assert.Equal(t, uint64(1), st.Abandoned)
	assert.Equal(t, uint64(1), st.Started)
	assert.Zero(t, st.Busy)
	s := acquire(t, p, testLimits())
	assert.Equal(t, "[1] 2\n", string(eval(t, s, "1+1").Output))
	assert.Equal(t, uint64(1), p.Stats().Started, "the next session took the abandoned start's worker")
}
