package sandbox

import (
	"context"
	"os"
	"testing"

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
