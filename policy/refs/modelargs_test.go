package refs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestModelArgs: what the parameter model makes dynamic, and the literals
// it sees through.
func TestModelArgs(t *testing.T) {
	tests := []struct {
		name, src string
		dynamic   bool
	}{
		{"fun literal name", `sapply(x, mean)`, false},
		{"fun computed", `sapply(x, paste0("me", "an"))`, true},
		{"fun lambda", `Filter(function(v) v > 1, x)`, false},
		{"fun number", `hist(x, breaks = 20)`, false},
		{"fun through withRestarts list", `withRestarts(1, r = list(handler = "f"))`, true},
		{"fun through withRestarts lambda", `withRestarts(1, r = function() 1)`, false},
		{"ave FUN variable", `h <- "f"; ave(x, g, FUN = h)`, true},
		{"kronecker default FUN", `kronecker(a, b)`, false},
		{"glm family constructor", `glm(y ~ x, family = binomial())`, false},
		{"formula literal", `lm(y ~ x, data = d)`, false},
		{"formula string literal", `lm("y ~ x", data = d)`, false},
		{"formula computed", `lm(paste("y ~", v), data = d)`, true},
		{"formula variable bound to a formula", `f <- y ~ x; lm(f, d)`, false},
		{"formula variable bound to a string", `f <- "y ~ x"; lm(f, d)`, true},
		{"formula variable changed", `f <- y ~ x; f[[3]] <- q; lm(f, d)`, true},
		{"model.frame data with formula", `model.frame(y ~ x, d)`, false},
		{"env new.env", `e <- new.env(); assign("a", 1, envir = e)`, false},
		{"env computed", `new.env(parent = p)`, true},
		{"env changed by [[<- stays an env", `e <- new.env(); e[["a"]] <- 1; ls(e)`, false},
		{"stopifnot local FALSE", `stopifnot(TRUE, local = FALSE)`, true},
		{"readRDS after saveRDS", "saveRDS(1, 'a.rds')\nx <- readRDS('a.rds')", false},
		{"readRDS two statements later", "saveRDS(1, 'a.rds')\ny <- 2\nx <- readRDS('a.rds')", true},
		{"readRDS of another file", "saveRDS(1, 'a.rds')\nx <- readRDS('b.rds')", true},
		{"readRDS inside a larger statement", "saveRDS(1, 'a.rds')\nx <- c(writeBin(r, 'a.rds'), readRDS('a.rds'))", true},
		{"data with literal package", `data(iris, package = "datasets")`, false},
		{"data without package", `data(iris)`, true},
		{"do.call literal list", `do.call(lapply, list(x, mean))`, false},
		{"do.call list with a variable function", `h <- "f"; do.call(lapply, list(x, h))`, true},
		{"do.call args variable to a modelled function", `do.call(lapply, a)`, true},
		{"do.call args variable to a value function", `do.call(rbind, a)`, false},
		{"update of a literal fit", "fit <- lm(y ~ x, d)\nupdate(fit, . ~ . + z)", false},
		{"update of a changed fit", "fit <- lm(y ~ x, d)\nfit$call <- q\nupdate(fit)", true},
		{"call of a getOption value", `d <- getOption("device"); d()`, true},
		{"call of a slot", `h <- b@f; h(1)`, true},
		{"call of a user closure", `mk <- function() function() 1; g <- mk(); g()`, false},
		{".Environment", `attr(f, ".Environment")`, true},
		{"harness state", `.rwarden`, true},
		{"ls of a computed environment", `ls(e)`, true},
		{"ls of new.env", `e <- new.env(); ls(e)`, false},
		{"pkg::f reaches the same model", `stats::ave(x, FUN = paste0("f"))`, true},
		{"partial name FUN", `sapply(x, F = paste0("f"))`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dyn := false
			for _, r := range find(t, tt.src) {
				dyn = dyn || r.Kind == KindDynamic
			}
			assert.Equal(t, tt.dynamic, dyn, "%s: %v", tt.src, format(find(t, tt.src)))
		})
	}
}
