package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Benchmarks for issue 2's targets. Run with `make bench` (or
// `go test ./sandbox -run '^$' -bench . -benchtime 200x`); each reports the
// p50 of its samples besides Go's mean.

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Nanoseconds()) }
	b.ReportMetric(p(0.5)/1e3, "p50-us")
	b.ReportMetric(p(0.9)/1e3, "p90-us")
	b.ReportMetric(p(0.99)/1e3, "p99-us")
}

func benchPool(b *testing.B, warm int) *Pool {
	b.Helper()
	if _, err := os.Stat(DefaultRHome + "/bin/exec/R"); err != nil {
		b.Skip("R not installed")
	}
	root, err := os.MkdirTemp("", "rwarden-bench-")
	if err != nil {
		b.Fatal(err)
	}
	_ = os.Chmod(root, 0o711)
	b.Cleanup(func() { os.RemoveAll(root) })
	p, err := NewPool(Config{ScratchRoot: root, Warm: warm, Max: warm + 2, MaxLimits: testLimits(), WarmLimits: testLimits()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return p
}

// waitIdleFor waits (untimed) until the pool has n idle workers of the
// binding's profile.
func waitIdleFor(b *testing.B, p *Pool, bind Binding, n int) {
	bind.Limits = bind.Limits.Capped(p.cfg.MaxLimits)
	bp, err := bind.prepare()
	if err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		idle := p.idleOfLocked(bp.prof)
		p.mu.Unlock()
		if idle >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the pool did not warm up")
		}
	}
}

// BenchmarkAcquireWarm: taking a warm worker and binding it to a session
// (the refill between iterations is not timed).
func BenchmarkAcquireWarm(b *testing.B) {
	p := benchPool(b, 2)
	ctx := context.Background()
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		waitIdleFor(b, p, Binding{Limits: testLimits()}, 1)
		b.StartTimer()
		t0 := time.Now()
		s, err := p.Acquire(ctx, Binding{Limits: testLimits()})
		d = append(d, time.Since(t0))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, d)
}

// BenchmarkEvalOnePlusOne: the round trip of `1+1` through a bound worker.
func BenchmarkEvalOnePlusOne(b *testing.B) {
	p := benchPool(b, 1)
	ctx := context.Background()
	s, err := p.Acquire(ctx, Binding{Limits: testLimits()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 50; i++ { // warm up R's byte-code compiler and caches
		_, _ = s.Eval(ctx, "1+1", EvalOptions{}, nil)
	}
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := s.Eval(ctx, "1+1", EvalOptions{}, nil)
		d = append(d, time.Since(t0))
		if err != nil || string(res.Output) != "[1] 2\n" {
			b.Fatalf("bad answer %v %q", err, res.Output)
		}
	}
	b.StopTimer()
	reportPercentiles(b, d)
}

// BenchmarkColdStart: starting one worker from nothing until its harness
// is ready (re-exec, lockdown, R start-up, default packages).
func BenchmarkColdStart(b *testing.B) {
	p := benchPool(b, 0)
	var d []time.Duration
	var rss []float64
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		w, err := p.l.startCold(context.Background(), profileOf(testLimits()), nil)
		d = append(d, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if kb, err := residentKB(w.pid); err == nil {
			rss = append(rss, float64(kb)/1024)
		}
		w.destroy("benchmark")
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, d)
	if len(rss) > 0 {
		sort.Float64s(rss)
		b.ReportMetric(rss[len(rss)/2], "idle-rss-MB")
	}
}

// residentKB reads VmRSS of a process.
func residentKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strconv.Atoi(strings.Fields(line)[1])
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// BenchmarkAcquireWarmAllowlisted: a session with a runtime allowlist of
// every base function (about 1,300 entries) takes a warm worker that was
// started and bound in the background.
func BenchmarkAcquireWarmAllowlisted(b *testing.B) {
	p := benchPool(b, 2)
	out, err := exec.Command(DefaultRHome+"/bin/Rscript", "--vanilla", "-e", `cat(ls(baseenv(), all.names = TRUE), sep = "\n")`).Output()
	if err != nil {
		b.Fatal(err)
	}
	var fns []string
	for _, n := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.ContainsAny(n, "\t\n") {
			fns = append(fns, "base::"+n)
		}
	}
	bind := Binding{Limits: testLimits(), Allowlist: &Allowlist{Functions: fns}}
	if err := p.Prewarm(bind); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		waitIdleFor(b, p, bind, 1)
		b.StartTimer()
		t0 := time.Now()
		s, err := p.Acquire(ctx, bind)
		d = append(d, time.Since(t0))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, d)
	b.ReportMetric(float64(len(fns)), "allowlist-entries")
}
