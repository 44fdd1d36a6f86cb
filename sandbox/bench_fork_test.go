package sandbox

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Benchmarks of forked sessions (issue 12). Run briefly, e.g.
// `go test ./sandbox -run '^$' -bench 'Fork|OneShot' -benchtime 200x`.

// BenchmarkForkStart: one session process forked from the running template
// until its harness is ready (fork, its own confinement, ready message).
func BenchmarkForkStart(b *testing.B) {
	p := benchPool(b, 0)
	if p.l.fork == nil {
		b.Skip("forks unavailable on this host")
	}
	prof := bindProfile{prof: profileOf(testLimits()), body: unrestrictedBind}
	ctx := context.Background()
	if w, err := p.l.fork.start(ctx, prof); err != nil { // starts the template, untimed
		b.Fatal(err)
	} else {
		w.destroy("benchmark")
	}
	var d []time.Duration
	var rss, uss []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		w, err := p.l.fork.start(ctx, prof)
		d = append(d, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if kb, err := residentKB(w.pid); err == nil {
			rss = append(rss, float64(kb)/1024)
		}
		if kb, err := uniqueKB(w.pid); err == nil {
			uss = append(uss, float64(kb)/1024)
		}
		w.destroy("benchmark")
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, d)
	for _, m := range []struct {
		v    []float64
		unit string
	}{{rss, "rss-MB"}, {uss, "uss-MB"}} {
		if len(m.v) > 0 {
			sort.Float64s(m.v)
			b.ReportMetric(m.v[len(m.v)/2], m.unit)
		}
	}
}

// uniqueKB is a process's unique set size: its private pages, clean and
// dirty (smaps_rollup), what its exit would free.
func uniqueKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	total := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Private_Clean:") || strings.HasPrefix(line, "Private_Dirty:") {
			f := strings.Fields(line)
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return 0, err
			}
			total += n
		}
	}
	return total, nil
}

// BenchmarkOneShotForked: 8 clients each doing new session, `1+1`, close,
// through the pool (forks on, 4 warm), as a one-shot protocol request does.
// Reports evaluations per second.
func BenchmarkOneShotForked(b *testing.B) { benchOneShot(b, false, nil) }

// BenchmarkOneShotCold: the same with every worker started cold.
func BenchmarkOneShotCold(b *testing.B) { benchOneShot(b, true, nil) }

// BenchmarkOneShotForkedAllowlisted: the same with a broad allowlist and the
// hand-written guards (guestLikeAllowlist), as the proxy's policy-checked
// users are bound.
func BenchmarkOneShotForkedAllowlisted(b *testing.B) {
	benchOneShot(b, false, guestLikeAllowlist(b, handGuards(b)))
}

func benchOneShot(b *testing.B, cold bool, allow *Allowlist) {
	const clients = 8
	root := b.TempDir()
	_ = root
	p := benchPool(b, 0)
	p.Close()
	cfg := p.cfg
	cfg.Warm, cfg.Max, cfg.DisableFork = 4, 16, cold
	cfg.ScratchRoot = cfg.ScratchRoot + "-oneshot"
	p, err := NewPool(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	bind := Binding{Limits: testLimits(), Allowlist: allow}
	if err := p.Prewarm(bind); err != nil {
		b.Fatal(err)
	}
	waitIdleFor(b, p, bind, 4)
	ctx := context.Background()
	var mu sync.Mutex
	var d []time.Duration
	var failures int
	// Where the CPU goes (nanoseconds, summed): a session process's until
	// it was acquired (its start, and its bind when it binds itself), its
	// evaluation of `1+1`; this process's (the pool, the session's Go
	// side) and the templates' over the whole run.
	// The process's whole CPU time, its exit (unmapping its copy of the
	// template's memory) included, comes from its reaping (getrusage of
	// the child, as wait4 reports it).
	var startCPU, evalCPU, totalCPU int64
	templatesBefore := templatesCPU(p)
	var ru0, ru1 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	next := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		next <- struct{}{}
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				t0 := time.Now()
				s, err := p.Acquire(ctx, bind)
				if err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
					continue
				}
				c0 := schedCPU(s.w.pid)
				res, err := s.Eval(ctx, "1+1", EvalOptions{}, nil)
				c1 := schedCPU(s.w.pid)
				s.Close() // kills and reaps the session process
				el := time.Since(t0)
				total := exitedCPU(s.w)
				mu.Lock()
				startCPU += c0
				evalCPU += c1 - c0
				totalCPU += total
				if err != nil || string(res.Output) != "[1] 2\n" {
					failures++
				}
				d = append(d, el)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	n := float64(b.N)
	b.ReportMetric(float64(startCPU)/n/1e3, "session-start-cpu-us")
	b.ReportMetric(float64(evalCPU)/n/1e3, "session-eval-cpu-us")
	b.ReportMetric(float64(totalCPU)/n/1e3, "session-total-cpu-us")
	b.ReportMetric(float64(templatesCPU(p)-templatesBefore)/n/1e3, "template-cpu-us/session")
	self := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(self.Microseconds())/n, "go-cpu-us/session")
	if failures > 0 {
		b.Fatalf("%d of %d one-shot evaluations failed", failures, b.N)
	}
	reportPercentiles(b, d)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "evals/s")
}

// schedCPU is the CPU time a process has run so far, in nanoseconds
// (/proc/PID/schedstat), or 0.
func schedCPU(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseInt(f[0], 10, 64)
	return v
}

// exitedCPU is the user and system CPU time of a reaped worker process,
// its exit included, in nanoseconds, or 0 when it was not reaped.
func exitedCPU(w *worker) int64 {
	select {
	case <-w.done:
	default:
		return 0
	}
	if w.exitState == nil {
		return 0
	}
	ru, ok := w.exitState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// templatesCPU sums the running templates' CPU time.
func templatesCPU(p *Pool) int64 {
	if p.l.fork == nil {
		return 0
	}
	p.l.fork.mu.Lock()
	defer p.l.fork.mu.Unlock()
	var sum int64
	for _, t := range p.l.fork.ts {
		sum += schedCPU(t.w.pid)
	}
	return sum
}
