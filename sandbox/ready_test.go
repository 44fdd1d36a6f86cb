package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A worker that is not ready in time is reported with the time really
// waited and the limit that ended the wait: the start timeout, or the
// caller's shorter deadline (issue 14: "within 30s" was said of 10 s waits).
func TestWorkerNotReadySaysWhatWasWaited(t *testing.T) {
	tests := []struct {
		name    string
		start   time.Duration
		ctxWait time.Duration
		want    []string
	}{
		{"start timeout", 40 * time.Millisecond, time.Minute, []string{"did not become ready: waited ", "stopped by the worker start timeout of 40ms"}},
		{"caller's deadline", time.Minute, 60 * time.Millisecond, []string{"did not become ready: waited ", "stopped by the request's deadline", "the start timeout is 1m0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPool(t, func(c *Config) { c.Warm, c.StartTimeout = 0, tc.start })
			ctx, cancel := context.WithTimeout(context.Background(), tc.ctxWait)
			defer cancel()
			bp, err := Binding{Limits: testLimits()}.prepare()
			require.NoError(t, err)
			_, err = p.l.startCold(ctx, bp.prof, nil) // destroys the worker on failure
			require.Error(t, err)
			t.Log(err)
			for _, s := range tc.want {
				assert.Contains(t, err.Error(), s)
			}
			assert.NotContains(t, err.Error(), "within", "no claim about a wait that did not happen")
		})
	}
}
