package model

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShippedModelParses(t *testing.T) {
	m, err := Shipped()
	require.NoError(t, err)
	assert.Contains(t, m.Header, "R 4.2.2")
	kinds := func(pkg, name, param string) []Kind {
		f := m.Lookup(pkg, name)
		require.NotNil(t, f, "%s::%s", pkg, name)
		var out []Kind
		for _, s := range f.Sigs {
			for _, p := range s.Params {
				if p.Name == param {
					out = append(out, p.Kind)
				}
			}
		}
		return out
	}
	// Derived by the walk, not written in hand.tsv.
	assert.Contains(t, kinds("base", "sapply", "FUN"), Fun)
	assert.Contains(t, kinds("base", "Filter", "f"), Fun)
	assert.Contains(t, kinds("base", "outer", "FUN"), Fun)
	assert.Contains(t, kinds("base", "kronecker", "FUN"), Fun)
	assert.Contains(t, kinds("stats", "ave", "FUN"), Fun)
	assert.Contains(t, kinds("base", "match.fun", "FUN"), Fun)
	assert.Contains(t, kinds("base", "evalq", "expr"), Code)
	assert.Contains(t, kinds("base", "new.env", "parent"), Env)
	assert.Contains(t, kinds("base", "get", "x"), Fun)
	assert.Contains(t, kinds("stats", "aggregate", "FUN"), Fun)
	assert.Nil(t, m.Lookup("base", "sum"), "sum takes values only")
}

func TestParseRejectsBrokenLines(t *testing.T) {
	_, err := Parse("base\tf\t\tx\tx\tnonsense\t\t\twhy\n")
	assert.Error(t, err)
	_, err = Parse("base\tf\n")
	assert.Error(t, err)
}

// TestHandTableNamesKinds keeps hand.tsv to the five kinds.
func TestHandTableNamesKinds(t *testing.T) {
	b, err := os.ReadFile("hand.tsv")
	require.NoError(t, err)
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		require.Len(t, f, 4, "hand.tsv:%d", i+1)
		assert.Contains(t, []string{"fun", "code", "formula", "env", "unserialize", "value"}, f[2], "hand.tsv:%d", i+1)
	}
}
