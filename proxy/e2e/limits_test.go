package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Per-role limits written as the example configuration documents them
// (limits.roles.restricted) apply to the guest, who holds role:restricted:
// the wall-clock limit stops a long evaluation, and a second concurrent
// session is refused. (Both were once silently ignored.)
func TestDocumentedRoleLimits(t *testing.T) {
	needR(t)
	state, _ := prepareState(t)
	s := serve(t, state, `pool: {warm: 1, max: 4, acquire_timeout: 2m}
limits:
  default: {wall: 30s, sessions: 4}
  roles:
    restricted: {wall: 3s, sessions: 1}
`)
	t0 := time.Now()
	ans := s.eval(t, `Sys.sleep(20); cat("slept\n")`)
	assert.Equal(t, "Error: evaluation exceeded the wall-clock limit of 3s and was stopped\n", ans)
	assert.Less(t, time.Since(t0), 20*time.Second, "the role's wall limit stopped it")

	// The session of that evaluation ends after its answer.
	require.Eventually(t, func() bool { return openSessions(t, state, "guest") == 0 }, time.Minute, 20*time.Millisecond)
	// One guest session is running (its start is in the audit trail)...
	first := make(chan string, 1)
	go func() {
		first <- s.evalNoFail(`Sys.sleep(20)`)
	}()
	require.Eventually(t, func() bool { return openSessions(t, state, "guest") == 1 }, time.Minute, 20*time.Millisecond)
	// ... so a second one is refused.
	assert.Equal(t, "Error: too many concurrent sessions for guest (limit 1)\n", s.eval(t, "1+1"))
	assert.Contains(t, <-first, "wall-clock limit of 3s")
	// Once it ended, the guest may open a session again.
	require.Eventually(t, func() bool { return openSessions(t, state, "guest") == 0 }, time.Minute, 20*time.Millisecond)
	assert.Equal(t, "[1] 2\n", s.eval(t, "1+1"))
}

// openSessions counts the user's sessions started and not ended, from the
// audit trail.
func openSessions(t *testing.T, state, user string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(state, "audit.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `"user":"`+user+`"`) {
			continue
		}
		switch {
		case strings.Contains(line, `"event":"session_start"`):
			n++
		case strings.Contains(line, `"event":"session_end"`):
			n--
		}
	}
	return n
}
