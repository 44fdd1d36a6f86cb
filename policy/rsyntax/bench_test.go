package rsyntax

import (
	"os"
	"testing"
)

// BenchmarkParse1000Lines parses testdata/bench_1000.R (1,000 lines of
// deparsed stats functions). See policy/refs for parse + find and the
// comparison with R.
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
