package refs

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/rwarden/rwarden/policy/rsyntax/rtest"
)

const benchFile = "../rsyntax/testdata/bench_1000.R"

// BenchmarkParseAndFind1000Lines measures what a policy check costs on a
// 1,000-line script: rsyntax.Parse plus Find. It reports the median
// (p50-ns) besides the mean, and, when R is installed, R's own parse() +
// getParseData() on the same file measured in the same run (R-p50-ns) and
// the ratio (x-faster-than-R).
func BenchmarkParseAndFind1000Lines(b *testing.B) {
	src, err := os.ReadFile(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	var rMedian time.Duration
	if _, err := rtest.Rscript(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		rMedian, err = rtest.TimeParse(ctx, benchFile, 50)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var times []time.Duration
	for b.Loop() {
		t0 := time.Now()
		f, err := rsyntax.Parse(src, rsyntax.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(Find(f)) == 0 {
			b.Fatal("no references found")
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
