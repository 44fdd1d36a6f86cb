package refs

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNameCounts checks nameCounts against a Go map on random additions
// and removals of names that collide in its hash (same length, first,
// middle and last bytes) and names that do not, across growth and reset.
func TestNameCounts(t *testing.T) {
	var names []string
	for i := range 300 {
		names = append(names, fmt.Sprintf("x%03dx", i), fmt.Sprintf("a%dz", i))
	}
	r := rand.New(rand.NewPCG(5, 6))
	var tab nameCounts
	for round := range 3 {
		want := map[string]int32{}
		for range 5000 {
			n := names[r.IntN(len(names)/(3-round))]
			d := int32(1)
			if want[n] > 0 && r.IntN(2) == 0 {
				d = -1
			}
			want[n] += d
			require.Equal(t, want[n], tab.add(n, d), "add %q", n)
		}
		for _, n := range names {
			require.Equal(t, want[n], tab.get(n), "get %q", n)
		}
		require.Equal(t, int32(0), tab.get(""))
		require.Equal(t, int32(0), tab.add("", 1))
		tab.reset()
		for _, n := range names {
			require.Equal(t, int32(0), tab.get(n), "after reset %q", n)
		}
	}
}
