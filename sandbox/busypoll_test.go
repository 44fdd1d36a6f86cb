package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHarnessWithBusyPoll(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "SPIN_SECONDS <- 0\n"},
		{DefaultBusyPoll, "SPIN_SECONDS <- 0.00025\n"},
		{MaxBusyPoll, "SPIN_SECONDS <- 0.01\n"},
	} {
		h, err := harnessWithBusyPoll(tc.d)
		require.NoError(t, err)
		assert.Equal(t, 1, strings.Count(string(h), tc.want), tc.d)
		assert.Equal(t, 1, strings.Count(string(h), "SPIN_SECONDS <- "), "the window is set once, nowhere else")
	}
}

func TestBusyPollConfig(t *testing.T) {
	base := Config{ScratchRoot: t.TempDir()}
	for _, tc := range []struct {
		in, want time.Duration
		err      bool
	}{
		{0, DefaultBusyPoll, false},
		{-1, 0, false},
		{time.Millisecond, time.Millisecond, false},
		{MaxBusyPoll + 1, 0, true},
	} {
		c := base
		c.BusyPoll = tc.in
		got, err := c.withDefaults()
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got.BusyPoll, tc.in)
	}
}

// A worker of a busy session polls for its next request (see harness.R,
// next_request); every empty poll is an R error inside the harness. What
// the session sees must not change: geterrmessage() keeps the session's
// own last error, requests that come during, after and without polling are
// all answered, and requests larger than a pipe's buffer arrive whole.
func TestBusyPollIsInvisible(t *testing.T) {
	for _, poll := range []time.Duration{MaxBusyPoll, -1} {
		t.Run(poll.String(), func(t *testing.T) {
			p := newTestPool(t, func(c *Config) { c.BusyPoll = poll })
			s := acquire(t, p, testLimits())
			for range 5 { // back to back: the session is busy
				require.Equal(t, "[1] 2\n", string(eval(t, s, "1+1").Output))
			}
			res := eval(t, s, `stop("boom")`)
			require.Equal(t, StatusError, res.Status)
			// The worker polls (and fails to read) for these 2 ms.
			time.Sleep(2 * time.Millisecond)
			res = eval(t, s, "geterrmessage()")
			assert.Equal(t, "[1] \"Error: boom\\n\"\n", string(res.Output))
			// A pause longer than the window: the worker sleeps in a read.
			time.Sleep(100 * time.Millisecond)
			res = eval(t, s, "geterrmessage()")
			assert.Equal(t, "[1] \"Error: boom\\n\"\n", string(res.Output))
			// 300 KB of code: several reads of the pipe.
			big := `x <- "` + strings.Repeat("abcdefghij", 30000) + `"; nchar(x)`
			res = eval(t, s, big)
			require.Equal(t, StatusOK, res.Status, res.Error)
			assert.Equal(t, "[1] 300000\n", string(res.Output))
			assert.Equal(t, "[1] 2\n", string(eval(t, s, "1+1").Output))
		})
	}
}

// At most max sessions poll at once; a session stops counting `window`
// after its last request; a one-CPU machine never polls.
func TestHotSessions(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		session uint64
		ms      int
		want    bool
	}
	for _, tc := range []struct {
		name  string
		max   int
		steps []step
	}{
		{"one per two CPUs", 1, []step{
			{1, 0, true}, {1, 1, true}, // alone: polls
			{2, 1, false}, {1, 2, false}, // two busy sessions: neither polls
			{1, 10, true}, // 2 went quiet (window 4 ms)
			{3, 10, false}, {2, 11, false}, {3, 20, true},
		}},
		{"four CPUs", 2, []step{
			{1, 0, true}, {2, 0, true}, {3, 0, false}, {1, 1, false}, {1, 10, true},
		}},
		{"one CPU", 0, []step{{1, 0, false}, {1, 10, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &hotSessions{max: tc.max, window: 4 * time.Millisecond}
			for i, s := range tc.steps {
				assert.Equal(t, s.want, h.admit(s.session, at(s.ms)), "step %d: session %d at %d ms", i, s.session, s.ms)
			}
			assert.LessOrEqual(t, len(h.recent), tc.max+1)
		})
	}
}

func TestAnswerSpin(t *testing.T) {
	const window = 250 * time.Microsecond
	for _, tc := range []struct {
		name  string
		hot   bool
		evals uint64
		want  time.Duration
	}{
		{"first evaluation, CPU free: no spin (it is never answered within the window)", true, 0, 0},
		{"second evaluation, CPU free: spins", true, 1, window},
		{"later evaluation, CPU free: spins", true, 41, window},
		{"first evaluation, CPUs busy", false, 0, 0},
		{"later evaluation, CPUs busy", false, 7, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, answerSpin(tc.hot, tc.evals, window))
		})
	}
}
