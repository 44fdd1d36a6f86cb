package rdata_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// FormatReal15 must agree with R's as.character() on doubles, since it is
// what a deferred string stands for.
func TestFormatReal15AgainstR(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := []float64{0.1, 1.0 / 3, 1e5, 123456, 1e-20, 2.5, 100, 1e15, 1e16, 123456789012345678, 0.0001,
		0.001234, 1234567.1, math.MaxFloat64, math.SmallestNonzeroFloat64, 5e-324, 1e-5, 99999.5, 0.30000000000000004}
	for range 3000 {
		var x float64
		switch rng.IntN(4) {
		case 0:
			x = rng.Float64() * math.Pow(10, float64(rng.IntN(40)-20))
		case 1:
			x = math.Round(rng.Float64()*1e6) / math.Pow(10, float64(rng.IntN(8)))
		case 2:
			x = math.Float64frombits(rng.Uint64() &^ (1 << 63))
		default:
			x = float64(rng.IntN(1e9)) * math.Pow(10, float64(rng.IntN(10)))
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		if rng.IntN(3) == 0 {
			x = -x
		}
		xs = append(xs, x)
	}
	dir := t.TempDir()
	var b strings.Builder
	for _, x := range xs {
		fmt.Fprintf(&b, "%016x\n", math.Float64bits(x))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.txt"), []byte(b.String()), 0o644))
	out := testutil.RunR(t, dir, `
h <- readLines("x.txt")
x <- vapply(h, function(s) {
  b <- as.raw(strtoi(substring(s, seq(1, 15, 2), seq(2, 16, 2)), 16L))
  readBin(rev(b), "double", size = 8, endian = "little")
}, 0, USE.NAMES = FALSE)
writeLines(as.character(x))
`)
	got := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, got, len(xs))
	bad := 0
	for i, x := range xs {
		if want := got[i]; rdata.FormatReal15(x, 0) != want {
			bad++
			assert.Equal(t, want, rdata.FormatReal15(x, 0), "as.character(%v) [bits %x]", x, math.Float64bits(x))
			if bad > 10 {
				t.FailNow()
			}
		}
	}
}
