package refs

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// TestSortRefs checks sortRefs against the library sort on orders it
// meets: nearly sorted (the insertion sort), reversed and shuffled (past
// its budget, the fallback), with ties that only Detail breaks.
func TestSortRefs(t *testing.T) {
	var base []Ref
	for i := 0; i < 500; i++ {
		p := rsyntax.Pos{Line: int32(1 + i/7), Col: int32(1 + i%7)}
		base = append(base, Ref{Name: "f", Kind: KindCall, Pos: p})
		if i%5 == 0 {
			base = append(base, Ref{Name: "g", Kind: KindSymbol, Pos: p, Detail: "b"}, Ref{Name: "g", Kind: KindSymbol, Pos: p, Detail: "a"})
		}
	}
	nearly := slices.Clone(base)
	for i := 3; i+1 < len(nearly); i += 40 {
		nearly[i], nearly[i+1] = nearly[i+1], nearly[i]
	}
	reversed := slices.Clone(base)
	slices.Reverse(reversed)
	shuffled := slices.Clone(base)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for name, in := range map[string][]Ref{"sorted": base, "nearly": nearly, "reversed": reversed, "shuffled": shuffled} {
		want := slices.Clone(in)
		slices.SortFunc(want, compareRefs)
		got := slices.Clone(in)
		sortRefs(got)
		assert.Equal(t, want, got, name)
	}
}

// TestFindPipeChain is a script whose references come out of the visit
// in reverse order (a long pipe chain): the result is still sorted.
func TestFindPipeChain(t *testing.T) {
	src := "x" + strings.Repeat(" |> f()", 200)
	f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
	require.NoError(t, err)
	refs := Find(f)
	require.Len(t, refs, 201)
	assert.True(t, slices.IsSortedFunc(refs, compareRefs))
}

// TestCompactRefs checks compactRefs against the plain definition (keep a
// reference unless it equals the last kept one but for Detail) on sorted
// lists with runs of duplicates at the start, the end, in between and
// back to back, and with none.
func TestCompactRefs(t *testing.T) {
	plain := func(in []Ref) []Ref {
		var out []Ref
		for _, r := range in {
			if n := len(out); n > 0 {
				x := out[n-1]
				if x.Pos == r.Pos && x.Kind == r.Kind && x.Pkg == r.Pkg && x.Name == r.Name {
					continue
				}
			}
			out = append(out, r)
		}
		return out
	}
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 200 {
		var in []Ref
		for i := range n % 40 {
			p := rsyntax.Pos{Line: int32(1 + i/3), Col: int32(1 + i%3)}
			for k := range 1 + r.IntN(3)*r.IntN(2) {
				in = append(in, Ref{Name: "f", Kind: KindCall, Pos: p, Detail: string(rune('a' + k))})
			}
			if r.IntN(4) == 0 {
				in = append(in, Ref{Name: "g", Kind: KindCall, Pos: p})
			}
		}
		want := plain(slices.Clone(in))
		got := compactRefs(slices.Clone(in))
		require.Equal(t, want, got, "input %v", in)
	}
}
