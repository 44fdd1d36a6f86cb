package rsyntax

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/rsyntax/rtest"
)

// fuzzTokens is the alphabet of TestDifferentialRandom: R tokens and
// fragments chosen to exercise the grammar's corners.
var fuzzTokens = strings.Fields(`
x y f g pkg .x ..1 ... _ T NULL NA TRUE Inf NA_integer_ 1 2L 1.5 .5 1e3 0x1F 1i 1.5L 0x1p3 1e
"s" 's' "a\tb" r"(raw)" ` + "`b q`" + ` %in% %% %o% + - * / ^ ** < > <= >= == != ! & && | || ~ ? : :: ::: $ @
<- <<- -> ->> = := |> => \ ( ) [ ] [[ ]] { } , ; function if else for in while repeat break next
`)

var fuzzSeps = []string{" ", "", "\n", " ", "\t", "", " # c\n", ";", " "}

var (
	fuzzAtoms = append(strings.Fields("x y f pkg ..1 ... T NULL NA 1 2L 1.5 1e3 0x1F 1i 0x1p-2 1.5L .5e-3 `b q` _ é αβ base::f x@s NA_integer_ Inf"),
		`"s"`, `r"(raw)"`, `"a\tb"`, `'\x41\101'`, `"\u{e9}"`, `r"-[a]-"`, "`\\x73ys`", `"pkg"::"g"`)
	fuzzBinary = strings.Fields("%in% + - * / ^ ** < > == != & && | || ~ ? : <- <<- -> ->> = := |>")
	fuzzPrefix = strings.Fields("- + ! ~ ?")
	fuzzSpace  = []string{" ", "", "\n", " ", " ", "\n  ", "\t", " # c\n", "\n\n"}
)

// randomExpr builds a mostly valid R expression of bounded depth.
func randomExpr(r *rand.Rand, depth int) string {
	sp := func() string { return fuzzSpace[r.IntN(len(fuzzSpace))] }
	if depth <= 0 {
		return fuzzAtoms[r.IntN(len(fuzzAtoms))]
	}
	e := func() string { return randomExpr(r, depth-1-r.IntN(2)) }
	switch r.IntN(17) {
	case 0, 1, 2:
		return e() + sp() + fuzzBinary[r.IntN(len(fuzzBinary))] + sp() + e()
	case 3:
		return fuzzPrefix[r.IntN(len(fuzzPrefix))] + sp() + e()
	case 4:
		return e() + "(" + sp() + e() + "," + sp() + "a =" + sp() + e() + ")"
	case 5:
		return e() + "[" + e() + sp() + "," + sp() + "]"
	case 6:
		return e() + "[[" + e() + "]" + sp() + "]"
	case 7:
		return "if (" + e() + ")" + sp() + e() + sp() + "else" + sp() + e()
	case 8:
		return "if (" + e() + ")" + sp() + e()
	case 9:
		return "function(a, b = " + e() + ")" + sp() + e()
	case 10:
		return "{" + sp() + e() + sp() + ";" + sp() + e() + sp() + "}"
	case 11:
		return "(" + sp() + e() + sp() + ")"
	case 12:
		return "for (i in " + e() + ")" + sp() + e()
	case 13:
		return "while (" + e() + ")" + sp() + e()
	case 14:
		return e() + "$" + sp() + "m" + sp() + "(" + ")"
	case 15:
		return `\(a)` + sp() + e()
	default:
		return "pkg::f(" + e() + ")"
	}
}

func randomSnippet(r *rand.Rand) string {
	if r.IntN(3) > 0 {
		return randomExpr(r, 1+r.IntN(4))
	}
	var b strings.Builder
	n := 1 + r.IntN(12)
	for i := 0; i < n; i++ {
		b.WriteString(fuzzTokens[r.IntN(len(fuzzTokens))])
		b.WriteString(fuzzSeps[r.IntN(len(fuzzSeps))])
	}
	return b.String()
}

// TestDifferentialRandom compares Go and R on random token soup. It runs
// only when RSYNTAX_DIFF_RANDOM is set to the number of snippets (and,
// optionally, RSYNTAX_DIFF_SEED), since it is a search, not a regression
// test: go test ./policy/rsyntax -run DifferentialRandom with
// RSYNTAX_DIFF_RANDOM=200000.
func TestDifferentialRandom(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("RSYNTAX_DIFF_RANDOM"))
	if n <= 0 {
		t.Skip("set RSYNTAX_DIFF_RANDOM=N to compare N random snippets with R")
	}
	requireR(t)
	seed, _ := strconv.ParseUint(os.Getenv("RSYNTAX_DIFF_SEED"), 10, 64)
	r := rand.New(rand.NewPCG(seed, 1))
	inputs := make([]string, n)
	for i := range inputs {
		inputs[i] = randomSnippet(r)
	}
	if path := os.Getenv("RSYNTAX_DIFF_DUMP"); path != "" {
		// For investigating R itself: the inputs as rparse.R records.
		require.NoError(t, rtest.WriteRecords(path, inputs))
		t.Skipf("inputs written to %s", path)
	}
	ctx := rContext(t)
	res, err := rtest.Parse(ctx, inputs)
	require.NoError(t, err)
	differential(t, ctx, inputs, res)
}
