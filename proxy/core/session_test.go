package core

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// levelLimits sets every documented limit at each level, written as the
// example configuration documents them (limits.roles.restricted). demo is
// an analyst without limits of its own (default level), guest holds
// role:restricted (role level), alice has her own entry (user level).
const levelLimits = `limits:
  default:    {wall: 8s,     cpu: 50s, memory: 1GiB,   output: 4KiB, sessions: 2, session_wall: 50m, session_cpu: 9m, idle: 9m, data: 300MiB}
  roles:
    restricted: {wall: 3s,   cpu: 40s, memory: 512MiB, output: 1KiB, sessions: 1, session_wall: 40m, session_cpu: 8m, idle: 8m, data: 8MiB}
  users:
    alice:    {wall: 5s, cpu: 30s, memory: 768MiB, output: 2KiB, sessions: 3, session_wall: 30m, session_cpu: 7m, idle: 7m, data: 64MiB}
`

type level struct {
	user  string
	want  Limits
	wall  string // the wall limit as the timeout message names it
	alloc string // R code that allocates past the level's memory limit
}

var levels = []level{
	{"demo", Limits{Limits: sandbox.Limits{Wall: 8 * time.Second, CPU: 50 * time.Second, Memory: 1 << 30, Output: 4 << 10,
		SessionWall: 50 * time.Minute, SessionCPU: 9 * time.Minute}, Sessions: 2, Idle: 9 * time.Minute, Data: 300 << 20}, "8s", "x <- numeric(1.4e8)"},
	{"guest", Limits{Limits: sandbox.Limits{Wall: 3 * time.Second, CPU: 40 * time.Second, Memory: 512 << 20, Output: 1 << 10,
		SessionWall: 40 * time.Minute, SessionCPU: 8 * time.Minute}, Sessions: 1, Idle: 8 * time.Minute, Data: 8 << 20}, "3s", "x <- numeric(8e7)"},
	{"alice", Limits{Limits: sandbox.Limits{Wall: 5 * time.Second, CPU: 30 * time.Second, Memory: 768 << 20, Output: 2 << 10,
		SessionWall: 30 * time.Minute, SessionCPU: 7 * time.Minute}, Sessions: 3, Idle: 7 * time.Minute, Data: 64 << 20}, "5s", "x <- numeric(1.1e8)"},
}

func openLimitsCore(t *testing.T) *Core {
	t.Helper()
	cfg := testConfig(t)
	_, loaded, err := writeConfig(t, cfg, levelLimits)
	require.NoError(t, err)
	loaded.Pool.Max = 8
	return openCore(t, loaded)
}

func identity(user string) Identity { return Identity{User: user, Method: auth.MethodPassword} }

// Every documented limit is resolved at each level and bound to the worker
// that runs the session's code; wall, output and memory are enforced on
// real R, the session count at OpenSession.
func TestLimitsEnforcedAtEachLevel(t *testing.T) {
	needR(t)
	c := openLimitsCore(t)
	ctx := context.Background()
	for _, lv := range levels {
		t.Run(lv.user, func(t *testing.T) {
			t.Parallel()
			s, err := c.OpenSession(ctx, identity(lv.user), Peer{Protocol: "test"})
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, lv.want, s.Limits(), "resolved limits")

			out := s.Evaluate(ctx, []byte(`cat(strrep("x", 10000))`), EvalOptions{})
			require.True(t, out.OK(), out.ErrorMessage())
			assert.True(t, out.Result.Truncated, "output limit")
			assert.Len(t, out.Result.Output, int(lv.want.Output), "output kept up to the limit")
			s.mu.Lock()
			bound := s.worker.Limits()
			s.mu.Unlock()
			assert.Equal(t, lv.want.Limits, bound, "the worker runs under the resolved limits")

			out = s.Evaluate(ctx, []byte(lv.alloc), EvalOptions{})
			require.NotNil(t, out.Result, out.ErrorMessage())
			assert.Equal(t, sandbox.StatusError, out.Result.Status, "allocation past the memory limit")
			assert.Contains(t, out.Result.Error, "cannot allocate")

			out = s.Evaluate(ctx, []byte("Sys.sleep(20)"), EvalOptions{})
			assert.Equal(t, DecisionTimeout, out.Decision, out.ErrorMessage())
			assert.Contains(t, out.ErrorMessage(), "wall-clock limit of "+lv.wall+" ", "stopped by the level's limit")
			assert.GreaterOrEqual(t, out.Elapsed, lv.want.Wall, "not before it")
		})
	}
}

func TestSessionLimitAtEachLevel(t *testing.T) {
	needR(t)
	c := openLimitsCore(t)
	ctx := context.Background()
	for _, lv := range levels {
		t.Run(lv.user, func(t *testing.T) {
			var open []*Session
			defer func() {
				for _, s := range open {
					s.Close()
				}
			}()
			for range lv.want.Sessions {
				s, err := c.OpenSession(ctx, identity(lv.user), Peer{Protocol: "test"})
				require.NoError(t, err)
				open = append(open, s)
			}
			// The sessions are real: each runs R.
			for _, s := range open {
				out := s.Evaluate(ctx, []byte("1+1"), EvalOptions{})
				require.True(t, out.OK(), out.ErrorMessage())
			}
			_, err := c.OpenSession(ctx, identity(lv.user), Peer{Protocol: "test"})
			require.Error(t, err, "one session over the limit")
			assert.True(t, errors.Is(err, ErrTooManySessions), "%v", err)
			open[0].Close()
			open = open[1:]
			s, err := c.OpenSession(ctx, identity(lv.user), Peer{Protocol: "test"})
			require.NoError(t, err, "a closed session frees its place")
			open = append(open, s)
		})
	}
}

// Output is streamed while the code runs: a loop printing every 300 ms
// delivers its first line long before the evaluation ends, and the stream
// holds exactly the output of the outcome.
func TestEvaluateStreams(t *testing.T) {
	needR(t)
	c := openCore(t, testConfig(t))
	ctx := context.Background()
	s, err := c.OpenSession(ctx, identity("demo"), Peer{Protocol: "test"})
	require.NoError(t, err)
	defer s.Close()

	// The worker first, so that the timing below is the evaluation's.
	require.True(t, s.Evaluate(ctx, []byte("1"), EvalOptions{}).OK())
	var mu sync.Mutex
	var streamed bytes.Buffer
	var arrivals []time.Time
	start := time.Now()
	out := s.Evaluate(ctx, []byte(`for (i in 1:6) { cat("tick", i, "\n"); message("note ", i); Sys.sleep(0.3) }`),
		EvalOptions{Stream: func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, EventConsole, ev.Kind)
			streamed.Write(ev.Data)
			arrivals = append(arrivals, time.Now())
		}})
	end := time.Now()
	require.True(t, out.OK(), out.ErrorMessage())
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(arrivals), 2, "output came in more than one event")
	assert.Less(t, arrivals[0].Sub(start), end.Sub(start)/2, "the first line arrived in the first half of the evaluation")
	assert.Equal(t, string(out.Result.Output), streamed.String(), "the stream is the output, in order")
	assert.True(t, strings.HasPrefix(streamed.String(), "tick 1 \nnote 1\ntick 2"), "console text and messages interleaved as produced: %q", streamed.String())
}

// A session whose worker died (killed by its own code, or stopped by the
// wall-clock limit) never continues on a fresh R process: every later
// request is refused, saying that the session's state was lost, and the
// session's end record names the reason.
func TestSessionStateLostWhenWorkerDies(t *testing.T) {
	needR(t)
	c := openLimitsCore(t)
	ctx := context.Background()
	tests := []struct {
		name, user, kill string
		decision         string
	}{
		{"worker killed", "admin", "tools::pskill(Sys.getpid(), 9L)", DecisionCrashed},
		{"wall-clock limit", "guest", "Sys.sleep(20)", DecisionTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := c.OpenSession(ctx, identity(tc.user), Peer{Protocol: "test"})
			require.NoError(t, err)
			defer s.Close()
			out := s.Evaluate(ctx, []byte("x <- 42"), EvalOptions{})
			require.True(t, out.OK(), out.ErrorMessage())
			require.NoError(t, s.Lost())

			out = s.Evaluate(ctx, []byte(tc.kill), EvalOptions{})
			require.Equal(t, tc.decision, out.Decision, out.ErrorMessage())
			require.ErrorIs(t, s.Lost(), ErrStateLost)

			out = s.Evaluate(ctx, []byte("x"), EvalOptions{})
			assert.Nil(t, out.Result, "no fresh worker ran the code")
			assert.Contains(t, out.ErrorMessage(), "R state was lost")
			assert.ErrorIs(t, s.Assign(ctx, "y", nil), ErrStateLost)
			assert.ErrorIs(t, s.SetErrorMessage(ctx, "Error: x\n"), ErrStateLost)
			s.mu.Lock()
			assert.Nil(t, s.worker, "the session holds no worker")
			s.mu.Unlock()
		})
	}
}

// A session that finds no free worker is told how long it waited and
// which limit ended the wait.
func TestNoWorkerSaysWhatWasWaited(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	cfg.Pool.Max = 1
	cfg.Pool.AcquireTimeout = config.Duration(700 * time.Millisecond)
	c := openCore(t, cfg)
	ctx := context.Background()
	holder, err := c.OpenSession(ctx, identity("demo"), Peer{Protocol: "test"})
	require.NoError(t, err)
	defer holder.Close()
	// The first start (template and fork) may take longer than the
	// acquire timeout; an abandoned start still ends up idle for the next.
	var out *Outcome
	for range 60 {
		if out = holder.Evaluate(ctx, []byte("1+1"), EvalOptions{}); out.OK() {
			break
		}
	}
	require.True(t, out.OK(), out.ErrorMessage())

	s, err := c.OpenSession(ctx, identity("demo"), Peer{Protocol: "test"})
	require.NoError(t, err)
	defer s.Close()
	out = s.Evaluate(ctx, []byte("1+1"), EvalOptions{})
	require.Nil(t, out.Result)
	assert.Contains(t, out.ErrorMessage(), "no R worker available: waited ")
	assert.Contains(t, out.ErrorMessage(), "all 1 busy")
	t.Log(out.ErrorMessage())
	assert.Contains(t, out.ErrorMessage(), "the limit pool.acquire_timeout of 700ms")
}
