package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallScript stops the process $2 (the test binary, i.e. rwarden) once
// the worker $1 sleeps in Sys.sleep's select(), and continues it once the
// worker answered and waits for its next request (a read of its request
// pipe). Exit status 0: the stall was arranged; 1 or 2: the worker never
// got there (it is continued all the same).
const stallScript = `r=$1 me=$2
trap 'kill -CONT $me' EXIT
i=0
until grep -q poll_schedule_timeout /proc/$r/wchan 2>/dev/null; do
	i=$((i+1)); [ $i -gt 2000 ] && exit 1; sleep 0.005
done
kill -STOP $me
i=0
until grep -q pipe_read /proc/$r/wchan 2>/dev/null; do
	i=$((i+1)); [ $i -gt 2000 ] && exit 2; sleep 0.005
done
sleep 0.2
`

// An answer that arrives after the wall-clock limit is a timeout, never a
// completed evaluation. rwarden is stopped (as when its host pauses it, or
// it gets no CPU) from before the deadline until after R answered: when it
// runs again the deadline has passed and the answer waits in the pipe.
// Before the fix rwarden took that answer as the result (status OK, an
// 8 s limit letting Sys.sleep(20) finish), which is how two proxy/core
// runs under heavy load saw Sys.sleep(20) "allowed".
// Not parallel: it stops the whole test binary for about two seconds.
func TestAnswerAfterWallLimitIsTimeout(t *testing.T) {
	p := newTestPool(t, nil)
	lim := testLimits()
	lim.Wall = time.Second
	s := acquire(t, p, lim)
	res := eval(t, s, "1")
	require.Equal(t, StatusOK, res.Status, res.Error)
	// The helper tells the worker's states apart by where it waits, which
	// /proc shows only to a process allowed to trace it (else "0").
	wchan := fmt.Sprintf("/proc/%d/wchan", s.w.pid)
	idle := func() bool {
		b, err := os.ReadFile(wchan)
		return err == nil && strings.Contains(string(b), "pipe_read")
	}
	for i := 0; !idle(); i++ {
		if i == 200 {
			t.Skipf("cannot see where the worker waits (%s)", wchan)
		}
		time.Sleep(10 * time.Millisecond)
	}

	helper := exec.Command("/bin/sh", "-c", stallScript, "stall", strconv.Itoa(s.w.pid), strconv.Itoa(os.Getpid()))
	require.NoError(t, helper.Start())
	start := time.Now()
	res, err := s.Eval(context.Background(), "Sys.sleep(2)", EvalOptions{}, nil)
	elapsed := time.Since(start)
	require.NoError(t, err)
	herr := helper.Wait()
	if herr != nil {
		// The worker never slept or never answered while rwarden was
		// stopped (a host so loaded that the evaluation did not start
		// within its second): the case was not set up.
		t.Skipf("the stall could not be arranged (%v); result %v after %v", herr, res.Status, elapsed)
	}
	require.GreaterOrEqual(t, elapsed, lim.Wall, "rwarden was stopped past the deadline")
	assert.Equal(t, StatusTimeout, res.Status, "the answer came after the limit: %q", res.Error)
	assert.Contains(t, res.Error, "wall-clock limit of 1s")
	assert.False(t, s.w.alive(), "the worker was stopped like any other evaluation past its limit")
}
