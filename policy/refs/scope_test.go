package refs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScopeResolvesLikeR: a bare name is reported (as the package function
// R would find) unless the script has provably bound it at that point.
// Each case lists the positions where the symbol sym is reported.
func TestScopeResolvesLikeR(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // "L:C" of the symbol reports of system
	}{
		{"unbound", "g <- system", []string{"1:6"}},
		{"assigned before", "system <- 1; g <- system", nil},
		{"assigned after the use", "g <- system; system <- 1", []string{"1:6"}},
		{"assigned in a later statement of a block", "{ g <- system; system <- 1 }", []string{"1:8"}},
		{"formal of another function", "f <- function(system) system; g <- system", []string{"1:36"}},
		{"formal of the enclosing function", "f <- function(system) { g <- system }", nil},
		{"formal seen by a nested function", "f <- function(system) function() system", nil},
		{"default argument sees the formals", "f <- function(a = system, system) a", nil},
		{"default argument of another formal", "f <- function(a = system) a", []string{"1:19"}},
		{"for variable inside the body", "for (system in 1:2) g <- system", nil},
		{"for variable after the loop", "for (system in 1:2) 1; g <- system", []string{"1:29"}},
		{"assignment in a loop body", "for (i in 1:2) system <- 1; g <- system", []string{"1:34"}},
		{"assignment in a while body", "while (FALSE) system <- 1; g <- system", []string{"1:33"}},
		{"assignment in a while condition", "while ((system <- 0) > 1) 1; g <- system", nil},
		{"assignment in a repeat body", "repeat { break; system <- 1 }; g <- system", []string{"1:37"}},
		{"assignment in one branch", "if (x) system <- 1; g <- system", []string{"1:26"}},
		{"assignment in the other branch only", "if (x) 1 else system <- 1; g <- system", []string{"1:33"}},
		{"assignment in both branches", "if (x) system <- 1 else system <- 2; g <- system", nil},
		{"assignment in the condition", "if ((system <- 1) > 0) 2; g <- system", nil},
		{"superassignment binds elsewhere", "f <- function() { system <<- 1; g <- system }", []string{"1:38"}},
		{"assign() proves nothing", `assign("system", 1); g <- system`, []string{"1:27"}},
		{"assignment inside a call argument", "f(system <- 1); g <- system", []string{"1:22"}},
		{"assignment inside local", "local(system <- 1); g <- system", []string{"1:26"}},
		{"use inside the same argument", "local({ system <- 1; g <- system })", nil},
		{"right side of &&", "x && (system <- 1); g <- system", []string{"1:26"}},
		{"left side of ||", "(system <- 1) || x; g <- system", nil},
		{"top level not seen by a function", "system <- 1; f <- function() system", []string{"1:30"}},
		{"enclosing function's assignment", "f <- function() { system <- 1; function() system }", nil},
		{"enclosing function's later assignment", "f <- function() { h <- function() system; system <- 1; h }", []string{"1:35"}},
		{"rm anywhere undoes every proof", "system <- 1; rm(system); g <- system", []string{"1:17", "1:31"}},
		{"remove as a string", `f <- function(system) { do.call("remove", list("system")); system }`, []string{"1:60"}},
		{"rightward assignment", "1 -> system; g <- system", nil},
		{"equals assignment", "system = 1; g <- system", nil},
		{"string target", `"system" <- 1; g <- system`, nil},
		{"complex assignment reads the variable", "names(system) <- 'a'; g <- system", []string{"1:7"}},
		{"complex assignment of a bound variable", "system <- 1; names(system) <- 'a'; g <- system", nil},
		{"lambda formal", `\(system) system`, nil},
		{"function(c) c(1) calls c", "function(c) c(1)", nil},
		{"index arguments are not bound after", "x[system <- 1]; g <- system", []string{"1:22"}},
		{"switch arms are lazy", "switch(k, a = system <- 1); g <- system", []string{"1:34"}},
		{"nested function in a loop", "for (system in 1) f <- function() system", []string{"1:35"}},
		{"function literal argument", "lapply(1, function(system) system)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range find(t, tt.src) {
				if r.Kind == KindSymbol && r.Name == "system" {
					got = append(got, format([]Ref{r})[0][:len(format([]Ref{r})[0])-len(" symbol system")])
				}
			}
			assert.Equal(t, tt.want, got, "%s", tt.src)
		})
	}
}

// TestCallsAlwaysReported: a call of a name is reported whatever the
// script binds (R's findFun skips bindings that are not functions, and
// the policy never lets a script's own name hide a package function).
func TestCallsAlwaysReported(t *testing.T) {
	for _, src := range []string{
		`system <- 1; system("id")`,
		`system <- function(x) x; system("id")`,
		`f <- function(system) system("id")`,
		`for (system in 1) system("id")`,
	} {
		found := false
		for _, r := range find(t, src) {
			found = found || (r.Kind == KindCall && r.Name == "system")
		}
		assert.True(t, found, "%s", src)
	}
}
