package rtest

import (
	"context"
	"slices"
	"testing"
	"time"
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
