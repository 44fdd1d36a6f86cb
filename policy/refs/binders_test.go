package refs

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// bindFacts are what the bindings pass leaves for the visit.
type bindFacts struct {
	bound    map[string]binding
	unscoped bool
	leaky    []string // sorted
}

// factsOf runs the bindings pass over f, through the parser's list of
// binders (listed) or by the walk of the whole tree, and reports whether
// the list was used to the end (no fallback to the walk).
func factsOf(f *rsyntax.File, listed bool) (bindFacts, bool) {
	var a analysis
	a.resetBindings()
	bs := f.Binders
	if !listed {
		bs = nil
	}
	a.allBindings(f.Exprs, bs)
	fast := bs != nil && !bs.Unbinds && (len(a.leakyNames) == 0 || !a.leakOrderMatters(bs.Nodes))
	leaky := slices.Clone(a.leakyNames)
	slices.Sort(leaky)
	bound := map[string]binding{}
	a.bound.all(func(name string, b binding) { bound[name] = b })
	return bindFacts{bound: bound, unscoped: a.unscoped, leaky: leaky}, fast
}

// checkSameFacts fails when the facts collected from the parser's list of
// binders differ from the walk's; it returns whether the list was used.
func checkSameFacts(t *testing.T, f *rsyntax.File, src string) bool {
	t.Helper()
	require.NotNil(t, f.Binders, "Parse notes no binders")
	walked, _ := factsOf(f, false)
	listed, fast := factsOf(f, true)
	if !maps.Equal(walked.bound, listed.bound) || walked.unscoped != listed.unscoped || !slices.Equal(walked.leaky, listed.leaky) {
		t.Fatalf("binders of %q: the list gives %+v, the walk %+v", src, listed, walked)
	}
	return fast
}

// TestBindersMatchWalk checks, on every script of the corpora and on
// cases where the order of the bindings or a node the parser rewrites
// could matter, that the bindings facts Find takes from the parser's list
// of binders are those of a walk of the whole tree.
func TestBindersMatchWalk(t *testing.T) {
	inputs := append(readCorpus(t, "../rsyntax/testdata/tricky.txt"), readCorpus(t, "testdata/escapes.txt")...)
	for _, dir := range []string{"../testdata/benign", "../testdata/escapes"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.R"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, p := range files {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			inputs = append(inputs, string(b))
		}
	}
	inputs = append(inputs,
		"a <- x[x <- getOption('f')] <- 1",
		"x <- getOption('f'); y <- x; y()",
		"y <- x; x <- getOption('f'); y()",
		"(y <- get('f')) -> z; z()",
		"getOption('f') -> g; h = g; h()",
		"x |> assign(x = 'f', value = function() 1)",
		"'assign'('f', function() 1); f()",
		"base::assign('f', getOption('g')); f()",
		"makeActiveBinding('f', function() 1, environment())",
		"delayedAssign(value = sum, x = 'f')",
		"f <- function(a, b = (c <- 1)) { for (i in a) d <- i; g <<- d }",
		"x$rm <- 1; f <- function() 2",
		"names(x)[2] <- 'a'; e <- new.env(); fo <- y ~ x; m <- lm(fo)",
		"\\(q) q |> (\\(p) p)()",
		"f <- function(remove) remove",
	)
	fast := 0
	for _, src := range inputs {
		f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
		if err != nil {
			continue
		}
		if checkSameFacts(t, f, src) {
			fast++
		}
	}
	// The list is what the check uses for everyday scripts, not a path
	// that a fallback makes dead.
	assert.Greater(t, fast, len(inputs)/2, "the parser's list was used for %d of %d scripts", fast, len(inputs))
}

// TestBindersFallBack checks the cases where Find must walk the tree: a
// leaky binding (its order matters) and a script naming rm.
func TestBindersFallBack(t *testing.T) {
	for _, src := range []string{
		"a <- x[x <- getOption('f')]",
		"x <- getOption('f'); y <- x$g; y()",
		"x <- 1; rm(x)",
		"y <- x$rm",
		"do.call('remove', list('x'))",
	} {
		f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
		require.NoError(t, err)
		assert.False(t, checkSameFacts(t, f, src), "%q", src)
	}
	// Order matters here: the walk binds a (to x, not yet leaky) before
	// x; bound in the parser's order, a would be leaky too.
	f, err := rsyntax.Parse([]byte("a <- x[x <- getOption('f')]"), rsyntax.Options{})
	require.NoError(t, err)
	facts, _ := factsOf(f, true)
	assert.Equal(t, []string{"x"}, facts.leaky)
	// Leaky bindings whose order cannot matter keep the list.
	for _, src := range []string{
		"co <- readRDS('m.rds'); x <- f(co); y <- x",
		"a <- x[x <- getOption('f')] <- 1",
		"o <- getOption('f'); p <- o(1)",
		"f <- function(rm) 1",
	} {
		f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
		require.NoError(t, err)
		assert.True(t, checkSameFacts(t, f, src), "%q", src)
	}
}
