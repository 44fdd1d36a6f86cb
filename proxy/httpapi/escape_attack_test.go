package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShippedRoleEscapeAttacks: the runtime escapes found by the red team
// (sandbox/events_attack_test.go), tried by the shipped users through the
// real server: their policies and the guards must stop each before it
// prints the worker's environment (R_HOME).
func TestShippedRoleEscapeAttacks(t *testing.T) {
	a := startAPI(t, nil)
	for _, code := range []string{
		`for (f in as.list(as("package:base", "environment"))["Sys.getenv"]) cat(f("R_HOME"))`,
		`sapply(as.list(as("package:base", "environment"))["Sys.getenv"], function(f) cat(f("R_HOME")))`,
		`e <- as(1, "environment"); for (f in as.list(as("package:base", "environment"))["Sys.getenv"]) cat(f("R_HOME"))`,
		`dynGet("Sys.getenv", inherits = TRUE)("R_HOME")`,
		`with(environment(getOption("device")), cat(Sys.getenv("R_HOME")))`,
	} {
		for _, who := range []*creds{guest, alice} {
			t.Run(who.user+"/"+code, func(t *testing.T) {
				status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
				require.NotEqual(t, http.StatusInternalServerError, status, "%s", body)
				assert.NotContains(t, string(body), "/usr/lib/R", "the escape reached its target")
				r := decode(t, body)
				assert.NotEqual(t, "ok", r.Status, "%s", body)
				assert.False(t, strings.Contains(r.Console, "R_HOME") && r.Status == "ok")
			})
		}
	}
}

// TestShippedRoleNonceForgery: an analyst may serialize() her own values
// and write to a connection. Every closure, formula or environment she
// made is enclosed by her environment, whose ancestors hold the allowed
// functions; serializing one must not walk on into the harness, whose
// environment holds the evaluation's nonce. With the nonce, a connection
// object made by structure() (number 5 is the harness's fd 4) carries a
// result of her choosing to rwarden, which takes it for the worker's
// (the red team's attack of stop 23: the lazy-load filter of the session's
// allowlist was a closure of the harness).
func TestShippedRoleNonceForgery(t *testing.T) {
	a := startAPI(t, nil)
	find := `x <- serialize(function() 1, NULL); h <- as.raw(c(0, 0, 0, 0x18, 0, 0, 0, 0x10)); n <- length(x); ` +
		`idx <- which(x[1:(n-7)] == h[1] & x[2:(n-6)] == h[2] & x[3:(n-5)] == h[3] & x[4:(n-4)] == h[4] & ` +
		`x[5:(n-3)] == h[5] & x[6:(n-2)] == h[6] & x[7:(n-1)] == h[7] & x[8:n] == h[8]); `
	for name, c := range map[string]struct {
		code    string
		console string // must be in the console of an ok answer
	}{
		"no harness in a serialized closure": {
			code: `x <- serialize(function() 1, NULL); ` +
				`cat(sapply(c("current_nonce", "serve_loop", "inp_poll"), function(w) length(grepRaw(w, x, fixed = TRUE))))`,
			console: "0 0 0",
		},
		"no harness in a serialized formula": {
			code:    `x <- serialize(y ~ x, NULL); cat(length(grepRaw("current_nonce", x, fixed = TRUE)))`,
			console: "0",
		},
		"no 16-byte raw vector (the nonce) in a serialized environment": {
			code:    find + `cat("found", length(idx))`,
			console: "found 0",
		},
		"a result forged with the nonce": {
			code: find + `for (i in idx) { nonce <- x[(i + 8):(i + 23)]; ` +
				`i32 <- function(v) writeBin(as.integer(v), raw(), size = 4, endian = "little"); ` +
				`msg <- charToRaw(paste0("FORGED", "-RESULT")); ` +
				`p <- c(nonce, i32(1), i32(0), i32(0), i32(length(msg)), msg, i32(-1), i32(0)); ` +
				`writeBin(c(i32(11), i32(length(p)), p), structure(5L, class = c("fifo", "connection"))) }; cat("tried", length(idx))`,
			console: "tried 0",
		},
	} {
		t.Run(name, func(t *testing.T) {
			status, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": c.code})
			assert.NotContains(t, string(body), "FORGED-RESULT", "a forged result reached rwarden")
			require.Equal(t, http.StatusOK, status, "%s", body)
			r := decode(t, body)
			assert.Equal(t, "ok", r.Status, "%s", body)
			assert.Contains(t, r.Console, c.console)
		})
	}
}

// TestShippedRoleWrapperBodyClosures: body() refuses a wrapped function,
// but as.list() of a function, and everything that takes a function
// apart with it, read the body internally; the wrapper's prologue held the
// guards' own closures inlined, which user code could then hold and call.
func TestShippedRoleWrapperBodyClosures(t *testing.T) {
	a := startAPI(t, nil)
	// walk: any function object nested up to three levels in the body b
	// (the closures sat in the condition of the first statement).
	walk := `; n <- 0; for (y in as.list(b)) for (z in as.list(y)) for (w in as.list(z)) if (is.function(z) || is.function(w)) n <- n + 1; cat("inlined", n)`
	for _, code := range []string{
		`l <- as.list(sapply); b <- l[[length(l)]]` + walk,
		`l <- as.list(Filter); b <- l[[length(l)]]` + walk,
		`l <- lapply(sapply, identity); b <- l[[length(l)]]` + walk,
		`l <- sapply; mode(l) <- "list"; b <- l[[length(l)]]` + walk,
		`l <- methods::as(sapply, "list"); b <- l[[length(l)]]` + walk,
		`b <- vapply(list(sapply), function(f) list(rev(as.list(f))[[1]]), list(1))[[1]]` + walk,
	} {
		for _, who := range []*creds{guest, alice} {
			t.Run(who.user+"/"+code, func(t *testing.T) {
				status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
				assert.NotContains(t, string(body), "st$specs", "a closure of the guards was printed")
				if status == http.StatusOK {
					assert.Contains(t, decode(t, body).Console, "inlined 0")
				} else {
					assert.NotContains(t, string(body), "inlined", "%s", body)
				}
			})
		}
	}
}

// TestShippedRoleDataNamedFunctions: stats finds a contrast function by
// the name in a factor's "contrasts" attribute, and an na.action by the
// name in a data frame's "na.action" attribute, resolving it from its own
// namespace: plain data (no function argument the policy or the guards
// see) named any base function, dyn.load() and .Call() included. The
// name must be resolved where the user's own code would resolve it.
func TestShippedRoleDataNamedFunctions(t *testing.T) {
	a := startAPI(t, nil)
	for name, c := range map[string]struct {
		code    string
		reached string // text only the reached function writes
	}{
		"contrasts attribute names dyn.load": {
			`f <- factor("/nonexistent/evil.so"); attr(f, "contrasts") <- "dyn.load"; model.matrix(~ f)`,
			"unable to load shared object"},
		"contrasts attribute names .Call": {
			`f <- factor("R_getTaskCallbackNames"); attr(f, "contrasts") <- ".Call"; model.matrix(~ f)`,
			"not resolved from current namespace"},
		"contrasts attribute through lm": {
			`d <- data.frame(y = 1:4, g = structure(factor(c("a", "b", "a", "b")), contrasts = "R.home")); lm(y ~ g, d)`,
			"unused argument"},
		"contrasts argument of lm": {
			`d <- data.frame(y = 1:4, g = factor(c("a", "b", "a", "b"))); lm(y ~ g, d, contrasts = list(g = paste0("R.", "home")))`,
			"unused argument"},
		"na.action attribute through model.frame": {
			`d <- data.frame(x = 1:2, y = c(1, NA)); attr(d, "na.action") <- "R.home"; model.frame(~ x, d)`,
			"EXPR must be"},
		"na.action attribute through lm": {
			`d <- data.frame(y = 1:4, x = c(1, 2, 3, NA)); attr(d, "na.action") <- "R.home"; lm(y ~ x, d)`,
			"EXPR must be"},
	} {
		refusedForBoth(t, a, name, c.code, c.reached, "not allowed for this user")
	}
	// What the attributes are for still works: names of functions the user
	// may call, or defined.
	for _, code := range []string{
		`f <- factor(c("a", "b", "a")); attr(f, "contrasts") <- "contr.sum"; cat(model.matrix(~ f)[, 2])`,
		`mycontr <- function(n, contrasts = TRUE) contr.helmert(n); f <- factor(c("a", "b", "c")); attr(f, "contrasts") <- "mycontr"; cat(model.matrix(~ f)[, 2])`,
		`d <- data.frame(y = 1:4, x = c(1, 2, 3, NA)); attr(d, "na.action") <- "na.exclude"; cat(length(residuals(lm(y ~ x, d))))`,
		`d <- data.frame(y = c(1, 3, 2, 5), g = factor(c("a", "b", "a", "b"))); cat(coef(lm(y ~ g, d, contrasts = list(g = "contr.sum"))))`,
	} {
		t.Run("benign/"+code, func(t *testing.T) {
			status, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": code})
			require.Equal(t, http.StatusOK, status, "%s", body)
			assert.NotEmpty(t, decode(t, body).Console)
		})
	}
}

// TestShippedRoleModelObjectCode: stats evaluates code it finds in a
// model object (object$call, x$formula) or a formula's variables in an
// environment that falls back to its own frame when the object names
// none; a hand-made object had that code (a call built around a symbol
// made by as.vector(, "symbol"), which no check sees as a name) run where
// every base function is found.
func TestShippedRoleModelObjectCode(t *testing.T) {
	a := startAPI(t, nil)
	// call: cat(Sys.getenv("R_HOME")), with Sys.getenv put in as a symbol.
	for name, code := range map[string]string{
		"model.frame.lm from model.matrix, terms without an environment": `cl <- quote(lm(data = cat(c("R_HOME")))); cl[[2]][[2]][[1]] <- as.vector("Sys.getenv", "symbol"); ` +
			`o <- structure(list(call = cl, terms = structure(1, class = "terms")), class = "lm"); model.matrix(o)`,
		"formula.default from expand.model.frame": `o <- list(formula = quote(cat(c("R_HOME")))); o$formula[[2]][[1]] <- as.vector("Sys.getenv", "symbol"); expand.model.frame(o, ~ 1)`,
		"predict.lm, an offset among the terms' variables": `d <- data.frame(y = c(1, 3, 2, 5), x = 1:4); m <- lm(y ~ x, d); tt <- m$terms; attr(tt, "offset") <- 2L; ` +
			`v <- quote(list(y, cat(c("R_HOME")))); v[[3]][[2]][[1]] <- as.vector("Sys.getenv", "symbol"); attr(tt, "variables") <- v; m$terms <- tt; predict(m, data.frame(x = 1))`,
		"predict.lm, the offset of the call": `d <- data.frame(y = c(1, 3, 2, 5), x = 1:4); m <- lm(y ~ x, d); m$call$offset <- quote(cat(c("R_HOME"))); ` +
			`m$call$offset[[2]][[1]] <- as.vector("Sys.getenv", "symbol"); predict(m, data.frame(x = 1))`,
	} {
		refusedForBoth(t, a, name, code, "/usr/lib/R", "not allowed for this user")
	}
	// The model functions whose defaults changed still work on real models,
	// also from a user function whose local data the update needs.
	for _, code := range []string{
		`d <- data.frame(y = c(1, 3, 2, 5, 4), x = 1:5, z = c(2, 1, 2, 1, 3)); m <- lm(y ~ x, d); cat(dim(expand.model.frame(m, ~ z)), round(coef(update(m, . ~ . + z)), 3), dim(model.matrix(m)), dim(model.frame(m)))`,
		`f <- function(d) { m <- lm(y ~ x, d); round(coef(update(m, . ~ . + z)), 3) }; cat(f(data.frame(y = c(1, 3, 2, 5, 4), x = 1:5, z = c(2, 1, 2, 1, 3))))`,
	} {
		t.Run("benign/"+code, func(t *testing.T) {
			status, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": code})
			require.Equal(t, http.StatusOK, status, "%s", body)
			assert.Contains(t, decode(t, body).Console, "1.9 1.017 -1.083")
		})
	}
	// Offsets, in the formula and in the call, as R predicts them.
	t.Run("benign/offsets", func(t *testing.T) {
		code := `d <- data.frame(y = c(1, 3, 2, 5), x = 1:4, o = c(0.5, 0, 1, 0)); m <- lm(y ~ x + offset(o), d); ` +
			`cat(round(predict(m, data.frame(x = 1:2, o = c(1, 2))), 3)); m2 <- lm(y ~ x, d, offset = o); cat("", round(predict(m2, data.frame(x = 1:2, o = c(1, 2))), 3))`
		status, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": code})
		require.Equal(t, http.StatusOK, status, "%s", body)
		assert.Contains(t, decode(t, body).Console, "1.65 3.8 1.65 3.8")
	})
}

// TestShippedRoleFamilyInitialize: glm.fit() evaluates a family's
// initialize expression in its own frame, where every base function is
// found; a family list whose initialize was a call built around a symbol
// (as.vector(, "symbol")) printed R_HOME for guest and alice (second red
// team, stop 23). R's own families and a family the user writes still fit.
func TestShippedRoleFamilyInitialize(t *testing.T) {
	a := startAPI(t, nil)
	for name, code := range map[string]string{
		"glm.fit, a family from a list": `cl <- quote(cat(c("R_HOME"))); cl[[2]][[1]] <- as.vector("Sys.getenv", "symbol"); ` +
			`fams <- list(gaussian()); fams[[1]]$initialize <- cl; glm.fit(matrix(1, 3, 1), c(1, 2, 3), family = fams[[1]])`,
		"glm.fit, an expression": `cl <- quote(cat(c("R_HOME"))); cl[[2]][[1]] <- as.vector("Sys.getenv", "symbol"); ` +
			`fams <- list(poisson()); e <- expression(1); e[[1]] <- cl; fams[[1]]$initialize <- e; glm.fit(matrix(1, 3, 1), c(1, 2, 3), family = fams[[1]])`,
	} {
		refusedForBoth(t, a, name, code, "/usr/lib/R", "not allowed for this user")
	}
	for code, want := range map[string]string{
		`d <- data.frame(y = c(0, 1, 1, 0, 1), x = 1:5, n = c(3, 4, 2, 5, 3)); cat(round(coef(glm(cbind(y, n - y) ~ x, binomial, d)), 4), ` +
			`round(coef(glm(y ~ x, poisson, d)), 4), round(coef(glm(y + 1 ~ x, Gamma, d)), 4), round(coef(glm(y ~ x, quasi(variance = "mu", link = "log"), d)), 4))`: "-2.0956 0.1752 -1.0453 0.1687 0.7474 -0.0392 -1.0453 0.1687",
		`fams <- list(poisson()); fams[[1]]$initialize <- expression({ n <- rep.int(1, nobs); mustart <- y + 0.5 }); ` +
			`r <- glm.fit(matrix(1, 3, 1), c(1, 2, 3), family = fams[[1]]); cat(round(r$coefficients, 4))`: "0.6931",
	} {
		t.Run("benign/"+code, func(t *testing.T) {
			status, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": code})
			require.Equal(t, http.StatusOK, status, "%s", body)
			assert.Contains(t, decode(t, body).Console, want)
		})
	}
}

// TestShippedRolePredictCallHead: makepredictcall()'s poly (and splines'
// bs, ns) methods evaluated the head of a model variable's call in their
// own frame. A hand-made "variables" attribute whose head is
// if (is.function(var)) pf else <code> evaluates to the user's function in
// her environment (var is stats' var there) and runs <code> in the
// method's frame, where var is the variable and do.call() any base
// function by name (second red team, stop 23).
func TestShippedRolePredictCallHead(t *testing.T) {
	a := startAPI(t, nil)
	attack := func(class string) string {
		return `pf <- function(v) structure(v, class = "` + class + `", fn = "Sys.getenv"); ` +
			`H <- quote(if (is.function(var)) pf else cat(D(attr(var, "fn"), list("R_HOME")))); H[[4]][[2]][[1]] <- as.vector("do.call", "symbol"); ` +
			`d <- data.frame(y = c(1, 3, 2, 5), x = 1:4); m <- lm(y ~ x, d); tt <- m$terms; v <- quote(list(y, f(x))); v[[3]][[1]] <- H; ` +
			`attr(tt, "variables") <- v; attr(tt, "predvars") <- NULL; m$terms <- tt; cat("done", predict(m, data.frame(x = 1)))`
	}
	for name, c := range map[string]struct {
		code string
		who  []*creds
	}{
		"poly":            {attack("poly"), []*creds{guest, alice}},
		"bs":              {`library(splines); ` + attack("bs"), []*creds{alice}},
		"ns (not loaded)": {attack("ns"), []*creds{alice}},
	} {
		for _, who := range c.who {
			t.Run(who.user+"/"+name, func(t *testing.T) {
				status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": c.code})
				assert.NotContains(t, string(body), "/usr/lib/R", "the escape reached its target")
				require.Equal(t, http.StatusOK, status, "%s", body)
				assert.Contains(t, decode(t, body).Console, "done")
			})
		}
	}
	// The methods still recognise poly and splines' bases, by name and by
	// pkg::name.
	for code, c := range map[string]struct {
		who  *creds
		want string
	}{
		`d <- data.frame(y = c(1, 3, 2, 5, 4, 6, 8, 7), x = 1:8); cat(round(predict(lm(y ~ splines::ns(x, 2), d), data.frame(x = 9)), 4))`:          {alice, "8.6162"},
		`library(splines); d <- data.frame(y = c(1, 3, 2, 5, 4, 6, 8, 7), x = 1:8); cat(round(predict(lm(y ~ ns(x, 2), d), data.frame(x = 9)), 4))`: {alice, "8.6162"},
		`d <- data.frame(y = c(1, 3, 2, 5, 4, 6, 8, 7), x = 1:8); cat(round(predict(lm(y ~ poly(x, 2), d), data.frame(x = 9)), 4))`:                 {alice, "8.5"},
	} {
		t.Run("benign/"+code, func(t *testing.T) {
			status, _, body := a.do(t, nil, c.who, "POST", "/v1/eval", map[string]any{"code": code})
			require.Equal(t, http.StatusOK, status, "%s", body)
			assert.Contains(t, decode(t, body).Console, c.want)
		})
	}
}

// TestShippedRoleDoCallValues: do.call() evaluates an argument that is a
// call or a name. Package code calls it on lists the user gave, in its own
// frame: data.frame(list(a = L)) (as.data.frame.list) and aggregate() (on
// what FUN returned) ran a call built around any base function there
// (second red team, stop 23).
func TestShippedRoleDoCallValues(t *testing.T) {
	a := startAPI(t, nil)
	mk := `L <- quote(f()); L[[1]] <- as.vector("R.home", "symbol"); `
	for name, code := range map[string]string{
		"data.frame of a list":     mk + `print(data.frame(list(a = L)))`,
		"as.data.frame of a list":  mk + `print(as.data.frame(list(a = L)))`,
		"aggregate, FUN's values":  mk + `class(L) <- "k"; g <- function(v) L; print(aggregate(data.frame(a = 1:2), list(g = 1:2), g))`,
		"a name outside the frame": `L <- as.vector(paste0(".", "Machine"), "symbol"); print(data.frame(list(a = L)))`,
	} {
		refusedForBoth(t, a, name, code, "/usr/lib/R", "not allowed")
	}
	// Package code's own do.call() of names (head()'s x[, , drop = FALSE]),
	// formulas and the user's own do.call() of code still work.
	code := `m <- matrix(1:20, 4); print(head(m, 2)); d <- data.frame(a = 1:3, b = letters[1:3]); print(aggregate(a ~ b, d, sum)); ` +
		`f <- function(x) x + 1; cat("own", do.call(f, list(quote(2 + 3))), do.call("paste", list("a", quote(b)), quote = TRUE), "\n"); ` +
		`print(merge(d, data.frame(b = c("a", "c"), z = 1:2)))`
	status, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": code})
	require.Equal(t, http.StatusOK, status, "%s", body)
	out := decode(t, body).Console
	for _, want := range []string{"[2,]    2    6   10   14   18", "own 6 a b", "2 c 3 2"} {
		assert.Contains(t, out, want)
	}
}

// TestShippedRolePoly: the parameter model took poly()'s x, ... and degree
// for environments (polym's substitute(...) in an error message was read
// as ... reaching substitute's env), so poly(x, 2) was refused for every
// user (third red team, stop 23).
func TestShippedRolePoly(t *testing.T) {
	a := startAPI(t, nil)
	code := `x <- c(1, 2, 4, 7, 11); p <- poly(x, 2); cat("dim", dim(p), "\n"); cat("raw", round(poly(x, degree = 2, raw = TRUE)[5, ], 1), "\n"); ` +
		`cat("pred", round(predict(p, 3)[1, ], 4), "\n")`
	for _, who := range []*creds{guest, alice} {
		t.Run(who.user, func(t *testing.T) {
			status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
			require.Equal(t, http.StatusOK, status, "%s", body)
			out := decode(t, body).Console
			assert.Contains(t, out, "dim 5 2")
			assert.Contains(t, out, "raw 11 121")
			assert.Contains(t, out, "pred -0.2462 -0.2292")
		})
	}
}

// TestShippedRoleForgedClassMethods: print() of an object the user classed
// "vignette" or "packageInfo" dispatched to utils' and base's methods,
// which start programs (system2), the help server (browseURL) or a pager
// (file.show); only the OS layer stopped them (third red team, stop 23).
// Such methods now refuse in allowlisted sessions, while the methods of
// everyday objects still print.
func TestShippedRoleForgedClassMethods(t *testing.T) {
	a := startAPI(t, nil)
	for name, code := range map[string]string{
		"vignette":    `print(structure(list(Dir = "/tmp", PDF = "x.pdf", File = "x.Rnw", R = "x.R", Package = "p", Topic = "t"), class = "vignette"))`,
		"packageInfo": `print(structure(list(name = "stats", path = "/usr/lib/R/library/stats", info = list(NULL, NULL, NULL)), class = "packageInfo"))`,
		"direct call": `print.packageInfo(structure(list(name = "stats", path = "/usr/lib/R/library/stats", info = list(NULL, NULL, NULL)), class = "packageInfo"))`,
		"help files":  `print(structure(character(), call = 1, topic = "x", tried_all_packages = FALSE, type = "text", class = "help_files_with_topic"))`,
	} {
		for _, who := range []*creds{guest, alice} {
			t.Run(who.user+"/"+name, func(t *testing.T) {
				status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
				assert.Equal(t, http.StatusBadRequest, status, "%s", body)
				assert.Contains(t, string(body), "an S3 method that runs programs", "%s", body)
				assert.NotContains(t, string(body), "running external commands is disabled")
				assert.NotContains(t, string(body), "unable to create socket")
			})
		}
	}
	code := `d <- data.frame(a = 1:3, b = c("x", "y", "z")); print(d); print(summary(lm(a ~ seq_along(a), d))); cat(format(as.Date("2026-12-05"), "%d/%m"), "\n"); ` +
		`f <- factor(c("u", "v", "u")); print(f); print(table(f)); print(t.test(c(1.1, 2.3, 1.9, 3.2, 2.8)))`
	for _, who := range []*creds{guest, alice} {
		t.Run(who.user+"/everyday", func(t *testing.T) {
			status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
			require.Equal(t, http.StatusOK, status, "%s", body)
			out := decode(t, body).Console
			for _, want := range []string{"3 3 z", "Residual standard error", "05/12", "Levels: u v", "u v \n2 1", "One Sample t-test"} {
				assert.Contains(t, out, want)
			}
		})
	}
}

// refusedForBoth runs an attack as guest and as alice through the real
// server: neither may see what the attack was after (reached), and both
// get a 400 whose body carries the refusal.
func refusedForBoth(t *testing.T, a *api, name, code, reached, refusal string) {
	t.Helper()
	for _, who := range []*creds{guest, alice} {
		t.Run(who.user+"/"+name, func(t *testing.T) {
			status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
			assert.NotContains(t, string(body), reached, "the escape reached its target")
			assert.Equal(t, http.StatusBadRequest, status, "%s", body)
			assert.Contains(t, string(body), refusal, "%s", body)
		})
	}
}
