package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Everyday code through the guarded functions prints exactly what plain R
// prints: names resolved to the user's functions, formulas left alone when
// they are the user's own, sys.call()/match.call() of wrapped functions
// unchanged (a model's Call: line), S4 definitions in the user's workspace.
func TestRuntimeGuardsBenign(t *testing.T) {
	p := newTestPool(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	al := guestLikeAllowlist(t, handGuards(t))
	for _, tc := range []struct{ name, code string }{
		{"accessors", `x <- list(a = 1, b = "z"); x$a; x[["b"]]; df <- data.frame(g = c("a", "b", "a"), v = 1:3); df$v; df[["g"]]; df[[2]][2]; e <- new.env(); e$k <- 1; e[["k"]]; e$k; ls(e)`},
		{"function names", `sapply(1:3, "sqrt"); do.call("rbind", list(1:2, 3:4)); Map("+", 1:2, 3:4); outer(1:2, 1:3, "+"); match.fun("sum")(1:3); f <- function(v) v + 1; sapply(1:2, "f"); g <- function() { h <- function(v) v * 10; sapply(1:2, "h") }; g()`},
		{"function values", `vf <- Vectorize(function(a, b) a + b); vf(1:3, 2); Map(` + "`+`" + `, 1:2, 3:4); Reduce(` + "`+`" + `, 1:4, accumulate = TRUE); Filter(function(v) v > 1, 1:3); mapply(rep, 1:2, 2:1); vapply(list(1:3, 4:6), mean, 0); apply(matrix(1:4, 2), 1, max); kronecker(diag(2), matrix(1, 1, 2))`},
		{"dots", `g <- function(...) sapply(list(...), function(v) v * 2); g(1, 2); h <- function(f, ...) sapply(1:2, f, ...); h("rep", times = 2)`},
		{"aggregate", `df <- data.frame(g = c("a", "b", "a"), v = 1:3); aggregate(v ~ g, df, mean); aggregate(df$v, by = list(df$g), FUN = "sum"); aggregate(df$v[1], by = list(df$g[1]), FUN = "sum"); tapply(df$v, df$g, sum); ave(df$v, df$g, FUN = max); addmargins(table(df$g), 1, FUN = list(Total = sum)); addmargins(table(df$g, df$v), FUN = list(list(Sum = sum), "sum"), quiet = TRUE)`},
		{"models", `d <- data.frame(x = 1:5, y = c(2, 4, 5, 4, 5)); f <- y ~ x; fit <- lm(f, data = d); fit; coef(lm("y ~ x", d)); mk <- function() { z <- 2; lm(y ~ I(x * z), d) }; coef(mk()); summary(glm(y ~ x, data = d))$coefficients; model.frame(y ~ x, d)[1:2, ]; xtabs(~ cyl, mtcars); coef(update(fit, . ~ . - x))`},
		{"nls", `d <- data.frame(x = 1:5, y = c(2, 4, 5, 4, 5)); nls(y ~ a * x, d, start = list(a = 1))`},
		{"code", `local({ a <- 2; a * 3 }); d <- data.frame(x = 1:3); with(d, mean(x)); subset(d, x > 1); transform(d, w = x + 1); stopifnot(TRUE, 1 < 2); bquote(.(1) + x); replicate(2, 1 + 1); system.time(NULL)[["elapsed"]] >= 0`},
		{"restarts and conditions", `withRestarts(invokeRestart("r", 5), r = function(v) v * 2); tryCatch(stop("boom"), error = function(e) conditionMessage(e)); withCallingHandlers(warning("w"), warning = function(w) invokeRestart("muffleWarning")); r <- withRestarts(computeRestarts()[[1]]$name, myr = function() 1); r`},
		{"S4", `setClass("P", representation(x = "numeric")); setGeneric("area", function(s) standardGeneric("area")); setMethod("area", "P", function(s) s@x^2); area(new("P", x = 3)); p <- new("P", x = 2); p@x; slot(p, "x"); isVirtualClass("P"); setMethod("show", "P", function(object) cat("<P", object@x, ">\n")); p`},
		{"attributes", `f <- y ~ x; attr(f, "class"); names(attributes(f)); m <- matrix(1:4, 2, dimnames = list(c("a", "b"), NULL)); attributes(m); getOption("digits"); getOption("OutDec")`},
		{"pipes", `x <- c(3, 1, 2); x |> sort() |> rev(); sq <- \(v) v^2; x |> sq() |> sum()`},
		{"data roundtrip", `p <- tempfile(fileext = ".rds"); saveRDS(list(a = 1:3, m = lm(dist ~ speed, cars)), p); r <- readRDS(p); r$a; coef(r$m); q <- tempfile(); x <- 1; y <- "a"; save(x, y, file = q); rm(x, y); load(q); c(x, y); e <- new.env(); load(q, envir = e); sort(ls(e))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := p.Acquire(ctx, Binding{User: "guest", Limits: testLimits(), Allowlist: al})
			require.NoError(t, err)
			defer s.Close()
			res, err := s.Eval(ctx, tc.code, EvalOptions{}, nil)
			require.NoError(t, err)
			require.Equal(t, StatusOK, res.Status, "error: %s\noutput: %s", res.Error, res.Output)
			assert.Equal(t, localR(t, tc.code), string(res.Output))
		})
	}
}
