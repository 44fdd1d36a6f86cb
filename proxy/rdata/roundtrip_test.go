package rdata_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/rdata"
)

type kind int

const (
	kData   kind = iota // plain data: CheckData accepts it
	kCode               // language, symbols, primitives: only CheckTransferable
	kOpaque             // closures, environments: decoded, never handed on
)

// roundTripCases are R expressions whose values R serializes (version 2,
// version 3 XDR, version 3 native binary); rdata decodes each, re-encodes
// it, and R must find the result identical() to the original.
var roundTripCases = []struct {
	code string
	kind kind
}{
	{`NULL`, kData},
	{`1:10`, kData},
	{`1:1e6`, kData},
	{`10:-5`, kData},
	{`seq(1, 1e5)`, kData},
	{`as.numeric(1:10)`, kData},
	{`as.numeric(10:-3)`, kData},
	{`c(1.5, NA, NaN, Inf, -Inf, 0, -0, 1e-300, .Machine$double.xmax)`, kData},
	{`c(a = 1L, b = NA, c = -2147483647L)`, kData},
	{`c(TRUE, NA, FALSE)`, kData},
	{`logical(0)`, kData},
	{`"\u00e9t\u00e9"`, kData},
	{`c("a", NA, "", "b\"c\\\n")`, kData},
	{`iconv("caf\u00e9", "UTF-8", "latin1")`, kData},
	{`structure("\xff\xfe", class = "bytes_string")`, kData},
	{`as.raw(0:255)`, kData},
	{`complex(real = c(1, NA), imaginary = c(-2, 3))`, kData},
	{`list(1, "a", list(b = 2, c = list()))`, kData},
	{`factor(c("x", "y", "x"), levels = c("y", "x", "z"))`, kData},
	{`data.frame(a = 1:3, b = c("x", "y", "z"), c = c(1.5, NA, 3))`, kData},
	{`matrix(1:6, 2, dimnames = list(c("r1", "r2"), NULL))`, kData},
	{`array(1:24, c(2, 3, 4))`, kData},
	{`as.Date("2024-01-02") + 0:2`, kData},
	{`as.POSIXct("2024-01-02 03:04:05", tz = "UTC")`, kData},
	{`as.POSIXlt("2024-01-02 03:04:05", tz = "UTC")`, kData},
	{`pairlist(a = 1, 2, b = "x")`, kData},
	{`structure(list(), class = "foo")`, kData},
	{`structure(1:3, myattr = list(x = 1))`, kData},
	{`as.character(1:5)`, kData},
	{`as.character(c(0.1, 1/3, 1e5, 123456, 1e-20, NA, NaN, Inf, -Inf, 2^60, 1e15, 100, -0.5))`, kData},
	{`sort(c(3, 1, 2))`, kData},
	{`sort(c("b", "a"))`, kData},
	{`rev(list(1, 2))`, kData},
	{`table(c("a", "b", "a"))`, kData},
	{`numeric_version("1.2.3")`, kData},
	{`quote(f(x, y = 2, ...))`, kCode},
	{`quote(function(x, y = 1) x + y)`, kCode},
	{`expression(a, b + 1, "s")`, kCode},
	{`as.name("x y")`, kCode},
	{`quote(x[1, ])`, kCode},
	{`sum`, kCode},
	{`globalenv()`, kCode},
	{`y ~ x + z`, kCode},
	{`local(y ~ x)`, kOpaque},
	{`function(x) x + 1`, kOpaque},
	{`mean`, kOpaque},
	{`compiler::cmpfun(function(x) { for (i in 1:3) x <- x + i; x })`, kOpaque},
	{`new.env()`, kOpaque},
	{`environment(mean)`, kCode},
	{`asNamespace("stats")`, kOpaque},
	{`list(f = function() 1, e = new.env(), p = quote(z))`, kOpaque},
}

func TestRoundTripThroughR(t *testing.T) {
	dir := t.TempDir()
	var codes []string
	for _, c := range roundTripCases {
		codes = append(codes, testutil.RString(c.code))
	}
	testutil.RunR(t, dir, fmt.Sprintf(`
cases <- c(%s)
for (i in seq_along(cases)) {
  x <- eval(parse(text = cases[i]))
  saveRDS(x, sprintf("c%%03d.rds", i))
  writeBin(serialize(x, NULL, version = 2), sprintf("c%%03d_v2.bin", i))
  writeBin(serialize(x, NULL, version = 3), sprintf("c%%03d_v3.bin", i))
  writeBin(serialize(x, NULL, xdr = FALSE), sprintf("c%%03d_b3.bin", i))
}
`, strings.Join(codes, ",\n")))

	var check []int
	for i, c := range roundTripCases {
		n := i + 1
		var first *rdata.Value
		for _, variant := range []string{"v2", "v3", "b3"} {
			data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("c%03d_%s.bin", n, variant)))
			require.NoError(t, err)
			v, err := rdata.Unserialize(data, rdata.Limits{})
			require.NoError(t, err, "case %q (%s)", c.code, variant)
			if first == nil {
				first = v
			} else if c.kind != kOpaque {
				assert.True(t, rdata.EqualLang(first, v), "case %q: %s decodes differently from v2", c.code, variant)
			}
		}
		switch c.kind {
		case kData:
			assert.NoError(t, rdata.CheckData(first), c.code)
		case kCode:
			assert.ErrorIs(t, rdata.CheckData(first), rdata.ErrNotData, c.code)
			assert.NoError(t, rdata.CheckTransferable(first), c.code)
		case kOpaque:
			assert.ErrorIs(t, rdata.CheckData(first), rdata.ErrNotData, c.code)
			assert.ErrorIs(t, rdata.CheckTransferable(first), rdata.ErrNotData, c.code)
			_, err := rdata.Serialize(first)
			assert.Error(t, err, c.code)
			continue
		}
		out, err := rdata.Serialize(first)
		require.NoError(t, err, c.code)
		// Byte for byte what R itself writes for version 2.
		v2, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("c%03d_v2.bin", n)))
		require.NoError(t, err)
		assert.Equal(t, v2, out, "case %q: Serialize differs from R's serialize(version = 2)", c.code)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("c%03d_go.bin", n)), out, 0o644))
		check = append(check, n)
	}

	var idx []string
	for _, n := range check {
		idx = append(idx, fmt.Sprint(n))
	}
	out := testutil.RunR(t, dir, fmt.Sprintf(`
for (i in c(%s)) {
  x <- readRDS(sprintf("c%%03d.rds", i))
  y <- unserialize(readBin(sprintf("c%%03d_go.bin", i), "raw", 1e8))
  cat(i, identical(x, y), "\n")
}
`, strings.Join(idx, ",")))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(check))
	for _, l := range lines {
		var n int
		var ok string
		_, err := fmt.Sscanf(l, "%d %s", &n, &ok)
		require.NoError(t, err)
		assert.Equal(t, "TRUE", ok, "case %q does not survive rdata's round trip", roundTripCases[n-1].code)
	}
}
