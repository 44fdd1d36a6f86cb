package refs

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNameTable checks nameTable against a Go map on random additions
// and removals of names that collide in its hash (same length, first,
// middle and last bytes) and names that do not, the empty name among
// them, across growth and reset.
func TestNameTable(t *testing.T) {
	names := []string{""}
	for i := range 300 {
		names = append(names, fmt.Sprintf("x%03dx", i), fmt.Sprintf("a%dz", i))
	}
	r := rand.New(rand.NewPCG(5, 6))
	var tab nameTable[int32]
	for round := range 3 {
		want := map[string]int32{}
		for range 5000 {
			n := names[r.IntN(len(names)/(3-round))]
			d := int32(1)
			if want[n] > 0 && r.IntN(2) == 0 {
				d = -1
			}
			want[n] += d
			p := tab.ref(n)
			*p += d
			require.Equal(t, want[n], *p, "add %q", n)
		}
		got := map[string]int32{}
		for _, n := range names {
			v, ok := tab.lookup(n)
			_, in := want[n]
			require.Equal(t, in, ok, "lookup %q", n)
			require.Equal(t, want[n], v, "lookup %q", n)
		}
		tab.all(func(n string, v int32) { got[n] = v })
		require.Equal(t, want, got)
		require.Equal(t, len(want), tab.len())
		tab.reset()
		for _, n := range names {
			_, ok := tab.lookup(n)
			require.False(t, ok, "after reset %q", n)
		}
		require.Equal(t, 0, tab.len())
	}
}
