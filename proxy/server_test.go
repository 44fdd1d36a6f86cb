package proxy

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lastEval returns the newest eval record of the server's audit trail.
func (e *e2e) lastEval(t *testing.T) *audit.Record {
	t.Helper()
	var last *audit.Record
	_, err := audit.Query([]string{e.cfg.Audit.File}, audit.Filter{Event: audit.EventEval}, func(r *audit.Record) error {
		last = r
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, last, "no eval record")
	return last
}

// Acceptance 3: denied code gets an error naming the function and its
// position, and no worker is used.
func TestE2EDeniedNeverReachesAWorker(t *testing.T) {
	e := startE2E(t, nil)
	require.Eventually(t, func() bool { return e.srv.Core().PoolStats().Idle == 2 }, time.Minute, 10*time.Millisecond)
	before := e.srv.Core().PoolStats()
	ans := e.evalPlain(t, "x <- 1\ny <- system(\"id\")")
	assert.True(t, strings.HasPrefix(ans, "Error: not allowed by policy"), ans)
	assert.Contains(t, ans, "2:6 base::system (call)")
	after := e.srv.Core().PoolStats()
	assert.Equal(t, before.Started, after.Started, "a worker was started")
	assert.Equal(t, 2, after.Idle, "a warm worker was taken")
	rec := e.lastEval(t)
	assert.Equal(t, audit.DecisionDenied, rec.Decision)
	assert.Empty(t, rec.Worker)
	require.NotEmpty(t, rec.Violations)
	assert.Equal(t, "base::system", rec.Violations[0].Object)
	assert.Equal(t, 2, rec.Violations[0].Line)
	assert.Equal(t, 6, rec.Violations[0].Col)
}

// Acceptance 5: 50 concurrent clients x 20 evaluations, every answer
// right, no worker leaked, memory back to its start level.
func TestE2EConcurrentClients(t *testing.T) {
	e := startE2E(t, func(c *config.Config) {
		c.Pool.Max = 12
		c.Pool.Warm = 4
		// All 50 clients are the anonymous guest: allow them all at once.
		sessions := 64
		c.Limits.Users = map[string]config.LimitSet{"guest": {Sessions: &sessions}}
	})
	settle := func() {
		t.Helper()
		var last sandbox.PoolStats
		require.Eventually(t, func() bool {
			last = e.srv.Core().PoolStats()
			return last.Idle == 4 && last.Busy == 0 && last.Starting == 0
		}, 2*time.Minute, 20*time.Millisecond, "the pool did not settle at 4 idle workers; last stats: %+v", &last)
	}
	settle()
	e.evalPlain(t, "1") // first-use allocations (policy caches) before measuring
	settle()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	heapBefore := heap()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wrong []string
	for c := 0; c < 50; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				n := c*100 + i
				conn, err := net.Dial("tcp", e.plain)
				if err != nil {
					mu.Lock()
					wrong = append(wrong, err.Error())
					mu.Unlock()
					return
				}
				_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
				err = framed.WriteRequest(conn, nil, "UTF-8", []byte(fmt.Sprintf("x <- %d\nx * 2", n)))
				var ans []byte
				if err == nil {
					ans, err = framed.ReadResponse(conn, 0)
				}
				conn.Close()
				if want := fmt.Sprintf("[1] %d\n", 2*n); err != nil || string(ans) != want {
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("client %d eval %d: %q %v", c, i, ans, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	assert.Empty(t, wrong)
	settle()
	st := e.srv.Core().PoolStats()
	assert.Equal(t, 0, st.Busy, "busy workers left")
	// The warm workers, and the fork template they came from.
	assert.Equal(t, 4+st.Templates, len(testutil.ChildrenOf(os.Getpid())), "R processes besides the warm ones and the template")
	heapAfter := heap()
	assert.Less(t, int64(heapAfter)-int64(heapBefore), int64(16<<20), "heap grew from %d to %d", heapBefore, heapAfter)
}
