package rsyntax

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestComputedHeight checks the height the parser computes for the depth
// check against the tree's on the test corpora: never below (a tree too
// deep would go unnoticed), and equal except after a pipe, where the
// parser only knows an upper bound.
func TestComputedHeight(t *testing.T) {
	var inputs []string
	b, err := os.ReadFile("testdata/tricky.txt")
	require.NoError(t, err)
	inputs = append(inputs, strings.Split(string(b), "\n----\n")...)
	for _, f := range []string{"testdata/bench_1000.R", "testdata/positions.R"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		inputs = append(inputs, string(b))
	}
	inputs = append(inputs,
		"a + b * c - d",
		"f(g(h(x)))[[1]]$y@z",
		"function(a = b + c, d) { if (a) b else while (c) repeat d }",
		"for (i in x:y) { (i) }",
		"x |> f() |> g(y = _)",
		"a <- b = c ? d",
		strings.Repeat("a + ", 300)+"a",
		strings.Repeat("f(", 100)+"x"+strings.Repeat(")", 100),
	)
	checked := 0
	for _, src := range inputs {
		var p Parser
		p.p.onExpr = func(e Node, h int) {
			want := height(e)
			if strings.Contains(src, "|>") {
				assert.GreaterOrEqual(t, h, want, "%q", Canonical(e))
			} else {
				assert.Equal(t, want, h, "%q", Canonical(e))
			}
			checked++
		}
		_, _ = p.Parse([]byte(src), Options{MaxDepth: 1 << 12})
	}
	require.Greater(t, checked, 100)
}
