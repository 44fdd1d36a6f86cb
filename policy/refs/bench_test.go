package refs

import (
	"errors"
	"os"
	"testing"

	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/rwarden/rwarden/policy/rsyntax/rtest"
)

const benchFile = "../rsyntax/testdata/bench_1000.R"

// BenchmarkParseAndFind1000Lines measures rsyntax.Parse plus Find on a
// 1,000-line script, each call with fresh memory as the package functions
// give it. It reports the median (p50-ns) besides the mean, and, when R is
// installed, R's own parse() + getParseData() on the same file measured in
// the same run (R-p50-ns) and the ratio (x-faster-than-R).
func BenchmarkParseAndFind1000Lines(b *testing.B) {
	benchParseAndFind(b, func(src []byte) (int, error) {
		f, err := rsyntax.Parse(src, rsyntax.Options{})
		if err != nil {
			return 0, err
		}
		return len(Find(f)), nil
	})
}

// BenchmarkParseAndFind1000LinesReused is the same with an rsyntax.Parser
// and a Finder kept from one script to the next, as the policy check of a
// server does.
func BenchmarkParseAndFind1000LinesReused(b *testing.B) {
	var p rsyntax.Parser
	var fd Finder
	benchParseAndFind(b, func(src []byte) (int, error) {
		f, err := p.Parse(src, rsyntax.Options{})
		if err != nil {
			return 0, err
		}
		return len(fd.Find(f)), nil
	})
}

func benchParseAndFind(b *testing.B, parseAndFind func([]byte) (int, error)) {
	src, err := os.ReadFile(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	rMedian := rtest.ParseMedian(b, benchFile)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	rtest.LoopAgainstR(b, rMedian, func() error {
		n, err := parseAndFind(src)
		if err == nil && n == 0 {
			err = errors.New("no references found")
		}
		return err
	})
}

// BenchmarkFind1000LinesCPU is Find alone on the parsed script, with a
// Finder kept from one call to the next, timed by the thread's CPU time
// (see rtest.LoopCPU) over 1,000 calls.
func BenchmarkFind1000LinesCPU(b *testing.B) {
	src, err := os.ReadFile(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	f, err := rsyntax.Parse(src, rsyntax.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var fd Finder
	rtest.LoopCPU(b, 1000, func() error {
		if len(fd.Find(f)) == 0 {
			return errors.New("no references found")
		}
		return nil
	})
}
