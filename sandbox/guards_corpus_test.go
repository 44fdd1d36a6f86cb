package sandbox

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runtimeAttack is one attempt to reach a function the allowlist excludes
// (Sys.getenv, to print R_HOME) with no static check in front: the code
// goes straight to a worker.
type runtimeAttack struct {
	class, name, code string
}

// The runtime escape corpus (issue 11, classes 2 to 6, layer 4 on its own).
// In every attempt the target prints the worker's R_HOME; PAYLOAD_HEX is
// replaced by serialized bytes made by R (see serializedPayloads).
var runtimeAttacks = []runtimeAttack{
	// 2. Strings turned into functions by allowed functions, on every path.
	{"string-fun", "Vectorize", `Vectorize("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize named", `Vectorize(FUN = "Sys.getenv")("R_HOME")`},
	{"string-fun", "base::Vectorize", `base::Vectorize("Sys.getenv")("R_HOME")`},
	{"string-fun", "base:::Vectorize", `base:::Vectorize("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize alias", `v <- Vectorize; v("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize from a list", `l <- list(v = Vectorize); l$v("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize via [[", `l <- list(Vectorize); l[[1]]("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize computed name", `Vectorize(paste0("Sys.", "getenv"))("R_HOME")`},
	{"string-fun", "do.call Vectorize", `do.call(Vectorize, list("Sys.getenv"))("R_HOME")`},
	{"string-fun", "do.call string Vectorize", `do.call("Vectorize", list(FUN = "Sys.getenv"))("R_HOME")`},
	{"string-fun", "sapply of Vectorize", `sapply("Sys.getenv", Vectorize)[[1]]("R_HOME")`},
	{"string-fun", "Map of Vectorize", `Map(Vectorize, "Sys.getenv")[[1]]("R_HOME")`},
	{"string-fun", "mapply of Vectorize", `mapply(function(f) Vectorize(f), "Sys.getenv")[[1]]("R_HOME")`},
	{"string-fun", "Reduce into Vectorize", `Reduce(function(a, b) Vectorize(b), list("Sys.getenv"), NULL)("R_HOME")`},
	{"string-fun", "Vectorize in a user function", `f <- function(g) Vectorize(g); f("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize through dots", `f <- function(...) Vectorize(...); f("Sys.getenv")("R_HOME")`},
	{"string-fun", "Vectorize after library()", `library(stats); Vectorize("Sys.getenv")("R_HOME")`},
	{"string-fun", "aggregate after library()", `library(stats); aggregate(data.frame(v = "R_HOME"), list(g = 1), "Sys.getenv")`},
	{"string-fun", "Vectorize passed to an inline function", `(function(f) f("Sys.getenv"))(Vectorize)("R_HOME")`},
	{"string-fun", "Vectorize from formals default", `f <- function(v = Vectorize) v("Sys.getenv"); f()("R_HOME")`},
	{"string-fun", "kronecker", `kronecker("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "kronecker named", `kronecker(X = "R_HOME", Y = "", FUN = "Sys.getenv")`},
	{"string-fun", "base::kronecker", `base::kronecker("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "methods::kronecker", `methods::kronecker("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "slot of the generic", `slot(kronecker, "default")("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "attr of the generic", `attr(methods::kronecker, "default")("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "@ of the generic", `methods::kronecker@default("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "attributes of the generic", `attributes(methods::kronecker)$default("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "outer", `outer("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "base::outer", `base::outer("R_HOME", "", "Sys.getenv")`},
	{"string-fun", "do.call outer", `do.call(outer, list("R_HOME", "", "Sys.getenv"))`},
	{"string-fun", "do.call", `do.call("Sys.getenv", list("R_HOME"))`},
	{"string-fun", "do.call computed", `do.call(paste("Sys", "getenv", sep = "."), list("R_HOME"))`},
	{"string-fun", "match.fun", `match.fun("Sys.getenv")("R_HOME")`},
	{"string-fun", "sapply", `sapply("R_HOME", "Sys.getenv")`},
	{"string-fun", "mapply", `mapply("Sys.getenv", "R_HOME")`},
	{"string-fun", "Map", `Map("Sys.getenv", "R_HOME")`},
	{"string-fun", "tapply", `tapply("R_HOME", 1, "Sys.getenv")`},
	{"string-fun", "apply", `apply(matrix("R_HOME"), 1, "Sys.getenv")`},
	{"string-fun", "aggregate FUN", `aggregate(data.frame(v = "R_HOME"), list(g = 1), "Sys.getenv")`},
	{"string-fun", "aggregate FUN named", `aggregate(data.frame(v = "R_HOME"), by = list(g = 1), FUN = "Sys.getenv")`},
	{"string-fun", "aggregate formula FUN", `aggregate(v ~ g, data.frame(v = "R_HOME", g = 1), "Sys.getenv")`},
	{"string-fun", "withRestarts list handler", `withRestarts(invokeRestart("r", "R_HOME"), r = list(handler = "Sys.getenv"))`},
	{"string-fun", "withRestarts symbol handler", `withRestarts(invokeRestart("r", "R_HOME"), r = list(handler = quote(Sys.getenv)))`},
	{"string-fun", "base::withRestarts", `base::withRestarts(invokeRestart("r", "R_HOME"), r = list(handler = "Sys.getenv"))`},
	{"string-fun", "Find", `Find(function(v) nchar(cat(Sys.getenv(v))) == 0, "R_HOME")`},
	{"string-fun", "setGeneric existing name", `setGeneric("Sys.getenv"); Sys.getenv("R_HOME")`},
	{"string-fun", "methods::setGeneric", `methods::setGeneric("Sys.getenv"); Sys.getenv("R_HOME")`},
	{"string-fun", "setGeneric with a def", `setGeneric("Sys.getenv", function(x, unset = "", names = NA) standardGeneric("Sys.getenv")); Sys.getenv("R_HOME")`},
	{"string-fun", "setMethod on an existing function", `setMethod("Sys.getenv", "numeric", function(x, unset = "", names = NA) 0); Sys.getenv("R_HOME")`},

	// 3. Character formulas evaluated inside stats.
	{"formula", "lm string", `d <- data.frame(y = 1:3); lm("y ~ I(cat(Sys.getenv('R_HOME')))", d)`},
	{"formula", "lm computed string", `d <- data.frame(y = 1:3); lm(paste("y ~ I(cat(Sys.getenv(", "'R_HOME')))"), d)`},
	{"formula", "stats::lm string", `d <- data.frame(y = 1:3); stats::lm(formula = "y ~ I(cat(Sys.getenv('R_HOME')))", data = d)`},
	{"formula", "do.call lm", `d <- data.frame(y = 1:3); do.call(lm, list("y ~ I(cat(Sys.getenv('R_HOME')))", d))`},
	{"formula", "do.call lm by name", `d <- data.frame(y = 1:3); do.call("lm", list(formula = "y ~ I(cat(Sys.getenv('R_HOME')))", data = d))`},
	{"formula", "glm string", `d <- data.frame(y = 1:3); glm("y ~ I(cat(Sys.getenv('R_HOME')))", data = d)`},
	{"formula", "model.frame string", `d <- data.frame(y = 1:3); model.frame("y ~ I(cat(Sys.getenv('R_HOME')))", d)`},
	{"formula", "xtabs string", `d <- data.frame(y = 1:3); xtabs("~ I(cat(Sys.getenv('R_HOME')))", d)`},
	{"formula", "nls string", `d <- data.frame(y = 1:3, x = 1:3); nls("y ~ a * x + nchar(cat(Sys.getenv('R_HOME')))", d, start = list(a = 1))`},
	{"formula", "lm in sapply", `d <- data.frame(y = 1:3); sapply("y ~ I(cat(Sys.getenv('R_HOME')))", lm, data = d)`},
	{"formula", "lm in a user function", `d <- data.frame(y = 1:3); f <- function(s) lm(s, d); f("y ~ I(cat(Sys.getenv('R_HOME')))")`},

	// 4. Values that lead to an environment outside the user's own.
	{"environment", "restart exit with", `withRestarts(with(computeRestarts()[[1]]$exit, cat(Sys.getenv("R_HOME"))), r = function() 1)`},
	{"environment", "restart exit [[", `withRestarts(with(computeRestarts()[[1]][["exit"]], cat(Sys.getenv("R_HOME"))), r = function() 1)`},
	{"environment", "restart exit by Find", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); with(e, cat(Sys.getenv("R_HOME")))}, r = function() 1)`},
	{"environment", "restart exit local", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); local(cat(Sys.getenv("R_HOME")), e)}, r = function() 1)`},
	{"environment", "restart exit bquote", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); bquote(.(cat(Sys.getenv("R_HOME"))), where = e)}, r = function() 1)`},
	{"environment", "restart exit new.env", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); with(new.env(parent = e), cat(Sys.getenv("R_HOME")))}, r = function() 1)`},
	{"environment", "restart exit stopifnot", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); stopifnot(exprs = {cat(Sys.getenv("R_HOME")); TRUE}, local = e)}, r = function() 1)`},
	{"environment", "restart exit numericDeriv", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); numericDeriv(quote(nchar(cat(Sys.getenv("R_HOME")))), character(0), rho = e)}, r = function() 1)`},
	{"environment", "restart exit do.call envir", `withRestarts({e <- Find(is.environment, computeRestarts()[[1]]); do.call("Sys.getenv", list("R_HOME"), envir = e)}, r = function() 1)`},
	{"environment", "asOneSidedFormula env with", `f <- asOneSidedFormula("x"); with(attr(f, ".Environment"), cat(Sys.getenv("R_HOME")))`},
	{"environment", "asOneSidedFormula env Find", `f <- asOneSidedFormula("x"); e <- Find(is.environment, attributes(f)); with(e, cat(Sys.getenv("R_HOME")))`},
	{"environment", "asOneSidedFormula model.frame", `model.frame(asOneSidedFormula(quote(I(cat(Sys.getenv("R_HOME"))))))`},
	{"environment", "formula env set with structure", `f <- asOneSidedFormula("x"); g <- structure(~ I(cat(Sys.getenv("R_HOME"))), .Environment = attr(f, ".Environment")); model.frame(g)`},
	{"environment", "formula env moved by attributes<-", `f <- asOneSidedFormula("x"); g <- ~ I(cat(Sys.getenv("R_HOME"))); attributes(g) <- attributes(f); model.frame(g)`},
	{"environment", "foreign-env formula into lm", `f <- asOneSidedFormula("x"); g <- y ~ I(cat(Sys.getenv("R_HOME"))); attributes(g) <- attributes(f); lm(g, data.frame(y = 1:3))`},
	{"environment", "plot of a foreign formula", `plot(asOneSidedFormula(quote(I(nchar(cat(Sys.getenv("R_HOME")))))))`},
	{"environment", "stopifnot local FALSE", `stopifnot(exprs = {cat(Sys.getenv("R_HOME")); TRUE}, local = FALSE)`},
	{"environment", "with frame number", `with(1, cat(Sys.getenv("R_HOME")))`},
	{"environment", "local frame number", `local(cat(Sys.getenv("R_HOME")), -2)`},
	{"environment", "terms of a foreign formula", `f <- asOneSidedFormula("x"); with(attr(terms(f), ".Environment"), cat(Sys.getenv("R_HOME")))`},

	// 5. Data that carries code.
	{"data", "unserialize closure", `f <- unserialize(as.raw(as.hexmode(strsplit("PAYLOAD_HEX", " ")[[1]]))); f()`},
	{"data", "readRDS closure", `p <- tempfile(); writeBin(as.raw(as.hexmode(strsplit("PAYLOAD_HEX", " ")[[1]])), p); readRDS(p)()`},
	{"data", "readRDS list of closures", `p <- tempfile(); writeBin(as.raw(as.hexmode(strsplit("LIST_HEX", " ")[[1]])), p); readRDS(p)$f()`},
	{"data", "readRDS environment", `p <- tempfile(); writeBin(as.raw(as.hexmode(strsplit("ENV_HEX", " ")[[1]])), p); with(readRDS(p), cat(Sys.getenv("R_HOME")))`},
	{"data", "readRDS call with an inlined closure", `p <- tempfile(); writeBin(as.raw(as.hexmode(strsplit("CALL_HEX", " ")[[1]])), p); model.frame(readRDS(p))`},
	{"data", "load closure", `p <- tempfile(); writeBin(as.raw(as.hexmode(strsplit("RDATA_HEX", " ")[[1]])), p); load(p); f()`},
	{"data", "load into a new env", `p <- tempfile(); writeBin(as.raw(as.hexmode(strsplit("RDATA_HEX", " ")[[1]])), p); e <- new.env(); load(p, e); e$f()`},
	{"data", "data() sources R from the working directory", `dir.create("data"); writeLines("x <- 1; cat(Sys.getenv('R_HOME'))", "data/x.R"); data(x)`},
	{"data", "data() rda closure", `dir.create("data"); writeBin(as.raw(as.hexmode(strsplit("RDATA_HEX", " ")[[1]])), "data/y.rda"); data(y); f()`},
}

// serializedPayloads makes, with R, the bytes the data attacks read: a
// closure enclosed by the base namespace that prints R_HOME, a list
// holding it, an environment whose parent is base, a formula whose call
// inlines the closure, and an .RData file holding the closure as f.
func serializedPayloads(t *testing.T) map[string]string {
	t.Helper()
	code := `f <- function() cat(Sys.getenv("R_HOME")); environment(f) <- .BaseNamespaceEnv
hex <- function(x) cat(paste(as.character(serialize(x, NULL, version = 2)), collapse = " "), "\n", sep = "")
hex(f); hex(list(f = f)); e <- new.env(parent = .BaseNamespaceEnv); hex(e)
hex(structure(as.call(list(as.name("~"), as.call(list(f)))), class = "formula"))
p <- tempfile(); save(f, file = p); cat(paste(as.character(readBin(p, "raw", 1e6)), collapse = " "), "\n", sep = "")`
	lines := strings.Split(strings.TrimSpace(localR(t, code)), "\n")
	require.Len(t, lines, 5)
	return map[string]string{"PAYLOAD_HEX": lines[0], "LIST_HEX": lines[1], "ENV_HEX": lines[2],
		"CALL_HEX": lines[3], "RDATA_HEX": lines[4]}
}

// Each attack reaches its target in an unrestricted session (so the attack
// is real), and with a broad guest-like allowlist and the guards it is
// stopped with an error before the target runs. (Without the guards, the
// same allowlist let 49 of the first 84 through.)
func TestRuntimeGuardsCorpus(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel) // the parallel subtests run after this function returns
	marker := DefaultRHome
	payloads := serializedPayloads(t)
	guarded := guestLikeAllowlist(t, handGuards(t))
	// Paths that are closed by construction fail as R fails on them (the
	// generic's slots are not there: the user only ever holds its wrapper).
	refusal := regexp.MustCompile(`not allowed|could not find|no function|not found|no slot of name|cannot get a slot|with no slots|attempt to apply non-function`)
	runIn := func(t *testing.T, al *Allowlist, code string) *Result {
		s, err := p.Acquire(ctx, Binding{User: "guest", Limits: testLimits(), Allowlist: al})
		require.NoError(t, err)
		defer s.Close()
		res, err := s.Eval(ctx, code, EvalOptions{}, nil)
		require.NoError(t, err)
		return res
	}
	for _, a := range runtimeAttacks {
		code := a.code
		for k, v := range payloads {
			code = strings.ReplaceAll(code, k, v)
		}
		t.Run(a.class+"/"+a.name, func(t *testing.T) {
			t.Parallel()
			oracle := runIn(t, nil, code)
			require.Contains(t, string(oracle.Output), marker,
				"the attack does not reach its target even unrestricted: %s %s", oracle.Output, oracle.Error)
			res := runIn(t, guarded, code)
			assert.NotContains(t, string(res.Output), marker, "the attack reached its target")
			assert.NotEqual(t, StatusOK, res.Status, "output: %s", res.Output)
			assert.Regexp(t, refusal, res.Error)
		})
	}
}
