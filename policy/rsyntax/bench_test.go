package rsyntax

import (
	"os"
	"testing"

	"github.com/rwarden/rwarden/policy/rsyntax/rtest"
)

// BenchmarkParse1000Lines parses testdata/bench_1000.R (1,000 lines of
// deparsed stats functions) with Parse, fresh memory each time. See
// policy/refs for parse + find and the comparison with R.
func BenchmarkParse1000Lines(b *testing.B) {
	src, err := os.ReadFile("testdata/bench_1000.R")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse1000LinesReused is the same with one Parser, whose memory
// is reused from one parse to the next as in the policy check.
func BenchmarkParse1000LinesReused(b *testing.B) {
	src, err := os.ReadFile("testdata/bench_1000.R")
	if err != nil {
		b.Fatal(err)
	}
	var p Parser
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse1000LinesCPU is BenchmarkParse1000LinesReused timed by
// the thread's CPU time (see rtest.LoopCPU), over 1,000 parses.
func BenchmarkParse1000LinesCPU(b *testing.B) {
	src, err := os.ReadFile("testdata/bench_1000.R")
	if err != nil {
		b.Fatal(err)
	}
	var p Parser
	rtest.LoopCPU(b, 1000, func() error {
		_, err := p.Parse(src, Options{})
		return err
	})
}
