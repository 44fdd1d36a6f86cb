package rtest

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ParseMedian is R's median time to parse the file at path with
// getParseData() (TimeParse, 50 runs), or 0 when R is not installed: the
// benchmarks compare against it in the same run.
func ParseMedian(tb testing.TB, path string) time.Duration {
	tb.Helper()
	if _, err := Rscript(); err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := TimeParse(ctx, path, 50)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// LoopAgainstR runs step in b.Loop and reports, besides Go's mean, the
// median of the iterations (p50-ns) and, when rMedian is known, R's
// median (R-p50-ns) and the ratio (x-faster-than-R).
func LoopAgainstR(b *testing.B, rMedian time.Duration, step func() error) {
	var times []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := step(); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	p50 := times[len(times)/2]
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	if rMedian > 0 {
		b.ReportMetric(float64(rMedian.Nanoseconds()), "R-p50-ns")
		b.ReportMetric(float64(rMedian)/float64(p50), "x-faster-than-R")
	}
}

// LoopCPU times n calls of step, after a few to warm up, by the CPU time
// of the OS thread that runs them, and reports their minimum (cpu-min-ns)
// and median (cpu-p50-ns); b.N only repeats that. On a machine loaded by
// other work the wall clock counts the time step waits for a processor,
// the thread's CPU time does not: compare two versions by running their
// test binaries in turn.
func LoopCPU(b *testing.B, n int, step func() error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 20 {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	times := make([]int64, n)
	b.ResetTimer()
	for b.Loop() {
		for i := range times {
			t0 := threadCPU(b)
			if err := step(); err != nil {
				b.Fatal(err)
			}
			times[i] = threadCPU(b) - t0
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[0]), "cpu-min-ns")
	b.ReportMetric(float64(times[len(times)/2]), "cpu-p50-ns")
}

// threadCPU returns the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return ts.Nano()
}
