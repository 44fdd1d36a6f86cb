package rsyntax

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

// TestPositionsGolden pins the tree and the positions of every node for a
// script with tabs, UTF-8, a pipe, :: and a right assignment. The same
// positions are checked against getParseData() by the differential tests.
func TestPositionsGolden(t *testing.T) {
	src, err := os.ReadFile("testdata/positions.R")
	require.NoError(t, err)
	f, err := Parse(src, Options{})
	require.NoError(t, err)
	var b strings.Builder
	for _, e := range f.Exprs {
		b.WriteString(Dump(e))
	}
	golden(t, "positions.golden", b.String())
}

func TestWalkVisitsEverythingInSourceOrder(t *testing.T) {
	f, err := Parse([]byte("function(a = b) { c[d] <- e$f; if (g) h else i }\nj |> k(l)\nm -> n"), Options{})
	require.NoError(t, err)
	var names []string
	for _, e := range f.Exprs {
		Walk(e, func(n Node) bool {
			if s, ok := n.(*Symbol); ok {
				names = append(names, s.Name)
			}
			return true
		})
	}
	assert.Equal(t, strings.Fields("a b c d e f g h i j k l m n"), names)
}

func TestWalkStops(t *testing.T) {
	f, err := Parse([]byte("f(g(x), y)"), Options{})
	require.NoError(t, err)
	var seen []string
	Walk(f.Exprs[0], func(n Node) bool {
		if s, ok := n.(*Symbol); ok {
			seen = append(seen, s.Name)
		}
		c, ok := n.(*Call)
		return !ok || c.Fn.(*Symbol).Name != "g" // do not enter g(...)
	})
	assert.Equal(t, []string{"f", "y"}, seen)
}
