package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14, acceptance 2 (second half): rwarden started with RLIMIT_NOFILE
// 1024 (soft and hard), 1,000 idle or trickling connections from one
// address (127.0.0.2) do not delay another address's (127.0.0.1)
// evaluations by more than 100 ms: the median of several evaluations under
// the flood stays within 100 ms of the median before it. The connections
// over the per-address limit are refused at once with the reason.
func TestE2EConnectionFloodFromOneAddress(t *testing.T) {
	needR(t)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	state, _ := prepareState(t)
	port, adminPort := freePort(t), freePort(t)
	cfgFile := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:%d"
    plaintext: true
    anonymous_user: guest
pool: {warm: 2, max: 4, acquire_timeout: 2m}
limits: {users: {guest: {sessions: 16}}}
admin: {address: "127.0.0.1:%d"}
`, state, port, adminPort)), 0o600))
	cmd := exec.Command(prlimit, "--nofile=1024:1024", bin, "serve", "--config", cfgFile)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	var logMu sync.Mutex
	var log strings.Builder
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "msg=listening") {
				once.Do(func() { close(listening) })
			}
		}
	}()
	select {
	case <-listening:
	case <-time.After(2 * time.Minute):
		t.Fatal("rwarden did not start")
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", cmd.Process.Pid))
	require.NoError(t, err)
	require.Regexp(t, `Max open files\s+1024\s+1024`, string(limits), "the server runs with RLIMIT_NOFILE 1024")

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	eval := func(i int) (time.Duration, string) {
		start := time.Now()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return time.Since(start), err.Error()
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Minute))
		if err := framed.WriteRequest(c, nil, "UTF-8", []byte(fmt.Sprintf("%d + 1", i))); err != nil {
			return time.Since(start), err.Error()
		}
		ans, err := framed.ReadResponse(c, 0)
		if err != nil {
			return time.Since(start), err.Error()
		}
		return time.Since(start), string(ans)
	}
	median := func(label string) time.Duration {
		var ds []time.Duration
		for i := range 9 {
			d, ans := eval(i)
			require.Equal(t, fmt.Sprintf("[1] %d\n", i+1), ans, "%s: evaluation %d", label, i)
			ds = append(ds, d)
		}
		slices.Sort(ds)
		t.Logf("%s: %v", label, ds)
		return ds[len(ds)/2]
	}
	median("warm-up")
	baseline := median("baseline")

	// The flood: 1,000 connections from 127.0.0.2, half silent, half
	// trickling one byte of a request every 200 ms.
	from := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var conns []net.Conn
	defer func() {
		close(stop)
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 1000 {
		c, err := from.Dial("tcp", addr)
		require.NoError(t, err, "connection %d", i)
		conns = append(conns, c)
		if i%2 == 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, b := range []byte("UTF-8\n") {
					select {
					case <-stop:
						return
					case <-time.After(200 * time.Millisecond):
					}
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
				}
			}()
		}
	}
	flooded := median("under the flood")
	assert.LessOrEqual(t, flooded, baseline+100*time.Millisecond,
		"another address's evaluations are delayed by the flood (baseline %v, under the flood %v)", baseline, flooded)

	// A connection over the per-address limit is told why, at once.
	c, err := from.Dial("tcp", addr)
	require.NoError(t, err)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	ans, err := framed.ReadResponse(c, 0)
	c.Close()
	require.NoError(t, err)
	assert.Equal(t, "Error: too many connections from your address (limit 128); close some and retry\n", string(ans))

	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort))
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	refused := 0.0
	for _, m := range families["rwarden_connections_refused_total"].GetMetric() {
		refused += m.GetCounter().GetValue()
	}
	assert.GreaterOrEqual(t, refused, float64(1000-128), "refusals are counted")
	require.NotNil(t, families["rwarden_connections_limit"])
	assert.Equal(t, float64(1024-64-8*4), families["rwarden_connections_limit"].GetMetric()[0].GetGauge().GetValue(),
		"the limit leaves the descriptor reserve")
	logMu.Lock()
	defer logMu.Unlock()
	assert.Contains(t, log.String(), "connection refused: too many connections from your address")
	assert.NotContains(t, log.String(), "too many open files")
}
