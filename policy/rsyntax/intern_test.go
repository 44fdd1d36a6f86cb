package rsyntax

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInternReturnsTheName checks that intern gives back a string equal
// to its input whatever the cache holds: names that share a key's bytes
// but for the middle (longer than 16 bytes), that differ in one byte of
// the first or last eight, of every length up to 40, read at the end of
// the input (no bytes after them) and in the middle of it.
func TestInternReturnsTheName(t *testing.T) {
	var names []string
	for n := 0; n <= 40; n++ {
		for _, mid := range "abc" {
			b := []byte(strings.Repeat("x", n))
			if n > 0 {
				b[n/2] = byte(mid)
			}
			names = append(names, string(b))
		}
	}
	for i := range 200 {
		names = append(names, fmt.Sprintf("name_%d", i), fmt.Sprintf("a_long_prefix_shared_by_all_%d_and_a_long_suffix_too", i%7))
	}
	var lx lexer
	lx.reset(make([]byte, 100)) // the smallest cache: 64 slots
	for round := range 3 {
		for _, name := range names {
			// At the end of a buffer (cap = len) and followed by
			// other bytes.
			atEnd := []byte(name)
			inside := append([]byte(name), "yyyyyyyy"...)[:len(name)]
			require.Equal(t, name, lx.intern(atEnd[:len(atEnd):len(atEnd)]), "round %d", round)
			require.Equal(t, name, lx.intern(inside), "round %d", round)
		}
	}
}

// TestKeywordText checks that keywordText spells every keyword of the
// table, and copies what is not one.
func TestKeywordText(t *testing.T) {
	for _, k := range keywords {
		require.Equal(t, k, keywordText([]byte(k)))
		require.NotEqual(t, tSymbol, keyword([]byte(k)), k)
	}
	require.Equal(t, "iff", keywordText([]byte("iff")))
}
