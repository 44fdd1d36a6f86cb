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

// deparseCases are R sources; R parses each (with and without source
// references) and serializes the language object; Deparse must render text
// that R parses back to an identical() object.
var deparseCases = []string{
	`1 + 2`,
	`x <- c(a = 1, b = "two")`,
	`f(x, y = 2, ...)`,
	`(a + b) * c`,
	`a + b * c - d / e`,
	`a - (b - c)`,
	`-x^2`,
	`(-x)^2`,
	`2^-1`,
	`!a == b`,
	`!(a && b) || c`,
	`a %in% b %o% c`,
	`x[1, , drop = FALSE]`,
	`x[[i]][[j]]$k@s`,
	`x$"quoted name"`,
	`stats::sd(x)`,
	`base:::sum(1L, 2L, NA_integer_)`,
	`function(x, y = 1, ...) { z <- x + y; z * 2 }`,
	`function() NULL`,
	`if (a) b else if (c) d else e`,
	`if (a) { b } else { c }`,
	`for (i in seq_len(10)) { if (i > 5) break; next }`,
	`while (TRUE) repeat break`,
	"`my var` <- `if`(a, b)",
	"`a\\`b` + 1",
	`"string with \"quotes\", \\ backslash, \n newline and \t tab"`,
	`"caf\u00e9 \u6f22\u5b57 \U0001F600"`,
	`c(0.1, 1/3, 1e-300, 1e300, 123456789, 2^53, 2^60, Inf, NaN, NA, NA_real_, NA_character_, NA_complex_)`,
	`c(1i, 0.5i, TRUE, FALSE)`,
	`y ~ x + log(z)`,
	`~ a`,
	`a <- b <- c`,
	`(a <- b)`,
	`x = 5`,
	`f(x = )`,
	`lapply(1:3, function(i) i^2)`,
	`a:b:c`,
	`-1:2`,
	`-(1:2)`,
	`.x + ..1 + ...length()`,
	`x |> f(y)`,
	`\(x) x + 1`,
	`{}`,
	`{a; b}`,
	`f()()`,
	`x$f(1)`,
	`if (a) if (b) c else d`,
	`function(x) if (x) 1 else 2`,
	`a ? b`,
	`?help`,
	`x[]`,
	`x[[]]`,
	`"f"(1)`,
	`1e5L + 0x10L + 0xFFp-2`,
	`a == (b == c)`,
	`a^b^c`,
	`(a^b)^c`,
	`a - -b`,
	`a + +b`,
	`!!x`,
	`-(-x)`,
	`a <<- b`,
	`f(a <- 1)`,
	`f((a = 1))`,
	`x[-1]`,
	`TRUE && FALSE || NA`,
}

func TestDeparseThroughR(t *testing.T) {
	dir := t.TempDir()
	var codes []string
	for _, c := range deparseCases {
		codes = append(codes, testutil.RString(c))
	}
	testutil.RunR(t, dir, fmt.Sprintf(`
cases <- c(%s)
for (i in seq_along(cases)) {
  e <- parse(text = cases[i], keep.source = FALSE)
  x <- if (length(e) == 1) e[[1]] else e
  saveRDS(x, sprintf("d%%03d.rds", i))
  writeBin(serialize(x, NULL), sprintf("d%%03d.bin", i))
  s <- parse(text = cases[i], keep.source = TRUE)
  writeBin(serialize(if (length(s) == 1) s[[1]] else s, NULL, xdr = FALSE), sprintf("d%%03d_src.bin", i))
}
`, strings.Join(codes, ",\n")))

	for i, c := range deparseCases {
		for _, variant := range []string{"", "_src"} {
			data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("d%03d%s.bin", i+1, variant)))
			require.NoError(t, err)
			v, err := rdata.Unserialize(data, rdata.Limits{})
			require.NoError(t, err, c)
			src, err := rdata.Deparse(v)
			require.NoError(t, err, "case %q%s", c, variant)
			if variant == "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%03d.R", i+1)), []byte(src), 0o644))
			}
		}
	}
	out := testutil.RunR(t, dir, fmt.Sprintf(`
for (i in seq_len(%d)) {
  x <- readRDS(sprintf("d%%03d.rds", i))
  e <- parse(sprintf("d%%03d.R", i), keep.source = FALSE, encoding = "UTF-8")
  y <- if (is.expression(x)) e else e[[1]]
  cat(i, identical(x, y), "\n")
}
`, len(deparseCases)))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(deparseCases))
	for _, l := range lines {
		var n int
		var ok string
		_, err := fmt.Sscanf(l, "%d %s", &n, &ok)
		require.NoError(t, err)
		src, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("d%03d.R", n)))
		assert.Equal(t, "TRUE", ok, "case %q deparsed to %q, which R parses differently", deparseCases[n-1], src)
	}
}

// Objects that R code cannot spell must be refused, not approximated.
func TestDeparseRefuses(t *testing.T) {
	cases := map[string]string{
		"vector constant":   `as.call(list(as.name("f"), 1:3))`,
		"negative constant": `as.call(list(as.name("f"), -1))`,
		"negative integer":  `as.call(list(as.name("f"), -1L))`,
		"complex constant":  `as.call(list(as.name("f"), 1+2i))`,
		"attributes":        `as.call(list(as.name("f"), c(a = 1)))`,
		"closure in call":   `as.call(list(function(x) x, 1))`,
		"string head":       `as.call(list("f", 1))`,
		"environment":       `as.call(list(as.name("f"), globalenv()))`,
		"list constant":     `as.call(list(as.name("f"), list(1)))`,
		"one empty arg":     `as.call(list(as.name("f"), quote(expr = )))`,
		"bytes string":      `as.call(list(as.name("f"), iconv("\xe9", "latin1", "latin1", toRaw = FALSE) |> (\(s) { Encoding(s) <- "bytes"; s })()))`,
		"call attributes":   `structure(quote(f(x)), foo = 1)`,
		"missing top level": `quote(expr = )`,
	}
	dir := t.TempDir()
	var names, codes []string
	for name, code := range cases {
		names = append(names, name)
		codes = append(codes, testutil.RString(code))
	}
	testutil.RunR(t, dir, fmt.Sprintf(`
cases <- c(%s)
for (i in seq_along(cases)) writeBin(serialize(eval(parse(text = cases[i])), NULL), sprintf("r%%03d.bin", i))
`, strings.Join(codes, ",\n")))
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("r%03d.bin", i+1)))
		require.NoError(t, err)
		v, err := rdata.Unserialize(data, rdata.Limits{})
		require.NoError(t, err, name)
		src, err := rdata.Deparse(v)
		assert.ErrorIs(t, err, rdata.ErrNotExact, "%s: rendered as %q", name, src)
	}
}
