package sandbox

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
				res, err := s.Eval(ctx, "1+1", EvalOptions{}, nil)
				s.Close()
				el := time.Since(t0)
				mu.Lock()
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
	if failures > 0 {
		b.Fatalf("%d of %d one-shot evaluations failed", failures, b.N)
	}
	reportPercentiles(b, d)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "evals/s")
}
