package proxy

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// BenchmarkIdleSessionsHeld (issue 12, scripts/bench-idle-sessions.sh):
// RWARDEN_IDLE_SESSIONS (default 500) QAP1 connections of the anonymous
// guest (policy-checked, forked allowlisted sessions, audited, default
// memory budget), each opened with one evaluation of `1+1` and then held
// idle at once. It reports how long opening them took, that every one was
// served, the memory they hold (the R processes' proportional and unique
// set sizes, MemAvailable's drop), the CPU the idle sessions take over
// RWARDEN_IDLE_SECONDS (default 10), and that each still answers
// afterwards. Not a CI test: it needs some GiB of memory and a minute.
func BenchmarkIdleSessionsHeld(b *testing.B) {
	if _, err := os.Stat("/usr/lib/R/bin/exec/R"); err != nil {
		b.Skip("R is not installed")
	}
	n := envInt("RWARDEN_IDLE_SESSIONS", 500)
	idle := envInt("RWARDEN_IDLE_SECONDS", 10)
	srv, _, _ := startGuestBenchServer(b, "rwarden-bench-idle-", n+benchWarm, n+2*benchWarm, func(config.ListenerConfig) []config.ListenerConfig {
		l := qapListener("127.0.0.1:0")
		l.AnonymousUser = "guest"
		return []config.ListenerConfig{l}
	})
	addr := srv.Addr(0).String()
	for i := 0; i < b.N; i++ {
		availBefore := memAvailable()
		conns := make([]net.Conn, n)
		errs := make([]error, n)
		t0 := time.Now()
		var wg sync.WaitGroup
		next := make(chan int, n)
		for k := range n {
			next <- k
		}
		close(next)
		for range 8 { // 8 clients opening sessions, as the sustained benchmarks
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range next {
					conns[k], errs[k] = openIdleQAP(addr)
				}
			}()
		}
		wg.Wait()
		opened := time.Since(t0)
		failed := 0
		for k, err := range errs {
			if err != nil {
				if failed < 5 {
					b.Errorf("session %d: %v", k, err)
				}
				failed++
			}
		}
		time.Sleep(2 * time.Second) // the pool's refill settles
		ps := srv.Core().PoolStats()
		procs := rChildren()
		cpu0, self0 := cpuOf(procs), selfCPU()
		time.Sleep(time.Duration(idle) * time.Second)
		cpu1, self1 := cpuOf(procs), selfCPU()
		var uss []int
		sumPSS, sumUSS := 0, 0
		for _, p := range procs {
			if m, ok := smapsRollup(p); ok {
				uss = append(uss, m["Private_Clean"]+m["Private_Dirty"])
				sumPSS += m["Pss"]
				sumUSS += m["Private_Clean"] + m["Private_Dirty"]
			}
		}
		sort.Ints(uss)
		availAfter := memAvailable()
		self, _ := smapsRollup(os.Getpid())
		fds, _ := os.ReadDir("/proc/self/fd")
		// Every held session still answers.
		again := 0
		for _, c := range conns {
			if c != nil && qapCall(c, qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1"))) == nil {
				again++
			}
		}
		fmt.Printf("sessions held: %d of %d (failed %d), opened in %.2f s (%.0f/s); pool busy %d, idle %d, templates %d\n",
			n-failed, n, failed, opened.Seconds(), float64(n-failed)/opened.Seconds(), ps.Busy, ps.Idle, ps.Templates)
		if len(uss) > 0 {
			fmt.Printf("R processes: %d; unique memory (USS) p50 %.2f MB, max %.2f MB; sum of PSS %.0f MB, of USS %.0f MB\n",
				len(procs), float64(uss[len(uss)/2])/1024, float64(uss[len(uss)-1])/1024, float64(sumPSS)/1024, float64(sumUSS)/1024)
		}
		fmt.Printf("MemAvailable: %.0f MB before, %.0f MB held (drop %.0f MB, also counts other work on the machine)\n",
			float64(availBefore)/1024, float64(availAfter)/1024, float64(availBefore-availAfter)/1024)
		fmt.Printf("rwarden and its client (this process): RSS %.0f MB, %d descriptors\n", float64(self["Rss"])/1024, len(fds))
		fmt.Printf("CPU while idle for %ds: R processes %.1f ms in total; rwarden (and its idle client) %.1f ms (%.1f%% of one CPU)\n",
			idle, float64(cpu1-cpu0)/1e6, float64(self1-self0)/1e6, 100*float64(self1-self0)/1e9/float64(idle))
		fmt.Printf("answering again after being held: %d of %d\n", again, n-failed)
		b.ReportMetric(float64(n-failed), "sessions-held")
		b.ReportMetric(opened.Seconds(), "open-all-s")
		if len(uss) > 0 {
			b.ReportMetric(float64(uss[len(uss)/2])/1024, "uss-p50-MB")
		}
		b.ReportMetric(float64(sumPSS)/1024, "pss-sum-MB")
		b.ReportMetric(float64(cpu1-cpu0)/1e6, "idle-cpu-ms")
		b.ReportMetric(float64(self1-self0)/1e6, "rwarden-idle-cpu-ms")
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		if failed > 0 || again != n-failed {
			b.Errorf("%d sessions failed to open, %d of the held ones did not answer again", failed, n-failed-again)
		}
	}
}

// openIdleQAP connects to an anonymous QAP1 listener and evaluates `1+1`,
// so that the connection holds a session.
func openIdleQAP(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Minute))
	var id [32]byte
	if _, err := io.ReadFull(c, id[:]); err != nil {
		c.Close()
		return nil, err
	}
	if err := qapCall(c, qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1"))); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// rChildren lists this process's child processes running R: the session
// processes (their parent is rwarden, CLONE_PARENT) and the templates.
func rChildren() []int {
	ents, _ := os.ReadDir("/proc")
	me := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndex(s, ")")
		if i < 0 || !strings.HasSuffix(s[:i], "(R") {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) > 1 && f[1] == strconv.Itoa(me) {
			out = append(out, pid)
		}
	}
	return out
}

// cpuOf sums the processes' CPU time (schedstat), in nanoseconds.
func cpuOf(pids []int) int64 {
	var sum int64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", p))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			sum += v
		}
	}
	return sum
}

// selfCPU is this process's user and system CPU time, in nanoseconds.
func selfCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// smapsRollup reads a process's smaps_rollup fields (kB).
func smapsRollup(pid int) (map[string]int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return nil, false
	}
	m := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.HasSuffix(f[0], ":") {
			if v, err := strconv.Atoi(f[1]); err == nil {
				m[strings.TrimSuffix(f[0], ":")] = v
			}
		}
	}
	return m, true
}

// memAvailable is /proc/meminfo's MemAvailable in kB.
func memAvailable() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemAvailable:" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}
