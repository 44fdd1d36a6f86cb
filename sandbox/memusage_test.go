package sandbox

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcessPssOfThisProcess(t *testing.T) {
	pss, err := processPss(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, pss)
	_, err = processPss(1 << 30)
	assert.Error(t, err)
}

// A session's measured use follows what its R code holds.
func TestSessionMemoryUsage(t *testing.T) {
	p := newTestPool(t, nil)
	s, err := p.Acquire(context.Background(), Binding{User: "u", Limits: DefaultLimits()})
	require.NoError(t, err)
	defer s.Close()
	before, err := s.MemoryUsage()
	require.NoError(t, err)
	res, err := s.Eval(context.Background(), "x <- numeric(2.5e7); x[] <- 1; invisible(length(x))", EvalOptions{}, nil)
	require.NoError(t, err)
	require.Equal(t, StatusOK, res.Status, res.Error)
	after, err := s.MemoryUsage()
	require.NoError(t, err)
	assert.Greater(t, after-before, int64(150<<20), "200 MB of doubles: %d -> %d", before, after)
}

// A sample is reused while the session's process cannot have changed its
// memory (no request since, no CPU time), and taken again after a request.
func TestMemoryUsageReusedWhileIdle(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	require.Equal(t, StatusOK, eval(t, s, "x <- 1").Status)
	time.Sleep(100 * time.Millisecond) // the harness's bookkeeping after its answer
	first, err := s.MemoryUsage()
	require.NoError(t, err)
	walks := pssReads.Load()
	for range 3 {
		again, err := s.MemoryUsage()
		require.NoError(t, err)
		assert.Equal(t, first, again)
	}
	assert.Equal(t, walks, pssReads.Load(), "an idle session's memory was measured again")

	res := eval(t, s, "y <- numeric(1.5e7); y[] <- 1; invisible(length(y))")
	require.Equal(t, StatusOK, res.Status, res.Error)
	after, err := s.MemoryUsage()
	require.NoError(t, err)
	assert.Equal(t, walks+1, pssReads.Load(), "a request did not make the next sample measure")
	assert.Greater(t, after-first, int64(100<<20), "120 MB of doubles: %d -> %d", first, after)
}

// Forks of a template that were not sent any request get the template's
// recent sample of such a fork; after a request they are measured.
func TestMemoryUsageOfFreshForks(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 2 })
	a := acquire(t, p, testLimits())
	if !a.w.forked {
		t.Skip("forks unavailable on this host")
	}
	b := acquire(t, p, testLimits())
	require.True(t, b.w.forked)
	require.Same(t, a.w.tmpl, b.w.tmpl)
	ua, err := a.MemoryUsage()
	require.NoError(t, err)
	walks := pssReads.Load()
	ub, err := b.MemoryUsage()
	require.NoError(t, err)
	assert.Equal(t, walks, pssReads.Load(), "a fresh fork was measured although its template had a sample")
	assert.Equal(t, ua, ub)
	// The estimate is the real thing: a fresh fork's own walk is close.
	// Not equal: PSS divides each shared page by its sharers, and their
	// number moves as other forks of the template start and end (on a busy
	// CI machine the two differed by 4.7 MiB); the budget's reserve covers
	// that.
	real, err := processPss(b.w.pid)
	require.NoError(t, err)
	assert.InDelta(t, float64(ua), float64(real), float64(8<<20), "estimate %d, measured %d", ua, real)

	res := eval(t, b, "z <- numeric(1.5e7); z[] <- 1; invisible(length(z))")
	require.Equal(t, StatusOK, res.Status, res.Error)
	walks = pssReads.Load()
	grown, err := b.MemoryUsage()
	require.NoError(t, err)
	assert.Equal(t, walks+1, pssReads.Load())
	assert.Greater(t, grown-ub, int64(100<<20))
}
