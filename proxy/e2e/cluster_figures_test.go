package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// procTree sums the CPU time (its own and its reaped children's) and the
// PSS of pid and every process below it.
func procTree(pid int) (cpu time.Duration, pssKiB int64) {
	parent := map[int]int{}
	stats := map[int][]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		p, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 15 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[p], stats[p] = pp, f
	}
	under := func(p int) bool {
		for seen := 0; p > 1 && seen < 64; seen++ {
			if p == pid {
				return true
			}
			p = parent[p]
		}
		return false
	}
	var ticks int64
	for p, f := range stats {
		if !under(p) {
			continue
		}
		// utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 here.
		for _, k := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += v
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", p)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "Pss:") {
					v, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
					pssKiB += v
				}
			}
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond, pssKiB // USER_HZ is 100 on Linux
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// TestE2EClusterFigures measures the figures of docs/scaling.md: the
// sustained one-shot rate (8 clients, `1+1`, one connection and session
// each) of one node, then of three nodes behind HAProxy, with the CPU
// per evaluation and the nodes' memory. A measurement, not a check: it
// runs only with RWARDEN_CLUSTER_FIGURES=1 (RWARDEN_CLUSTER_SECONDS sets
// each phase's length, default 10).
func TestE2EClusterFigures(t *testing.T) {
	if os.Getenv("RWARDEN_CLUSTER_FIGURES") == "" {
		t.Skip("a measurement: set RWARDEN_CLUSTER_FIGURES=1 (docs/scaling.md)")
	}
	needR(t)
	secs := 10
	if s, err := strconv.Atoi(os.Getenv("RWARDEN_CLUSTER_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	_, shared := prepareState(t)
	nodes := make([]*clusterNode, 3)
	for i := range nodes {
		nodes[i] = newClusterNode(t, i+1, shared, "")
		nodes[i].start(t)
	}
	lb := startHAProxy(t, nodes)
	time.Sleep(2 * time.Second) // health checks up, warm pools filled

	run := func(name, addr string, tree []*clusterNode) {
		var cpu0 time.Duration
		for _, n := range tree {
			c, _ := procTree(n.cmd.Process.Pid)
			cpu0 += c
		}
		load := loadAvg()
		var ok, bad atomic.Int64
		deadline := time.Now().Add(time.Duration(secs) * time.Second)
		var wg sync.WaitGroup
		for c := 1; c <= 8; c++ {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					ans, err := evalFrom(clientSource(c), addr, "1+1", nil)
					if err == nil && ans == "[1] 2\n" {
						ok.Add(1)
					} else {
						bad.Add(1)
					}
				}
			})
		}
		wg.Wait()
		var cpu1 time.Duration
		var pss int64
		for _, n := range tree {
			c, p := procTree(n.cmd.Process.Pid)
			cpu1 += c
			pss += p
		}
		n := ok.Load()
		require.Positive(t, n)
		t.Logf("%s: %d evaluations in %d s = %.0f/s (failed %d); CPU of the node(s) %.1f ms per evaluation; PSS of the node(s) now %d MiB; load before %s, after %s",
			name, n, secs, float64(n)/float64(secs), bad.Load(),
			float64((cpu1-cpu0).Microseconds())/1000/float64(n), pss/1024, load, loadAvg())
	}
	run("one node, direct", nodes[0].addr, nodes[:1])
	run("three nodes behind HAProxy", lb, nodes)
}
