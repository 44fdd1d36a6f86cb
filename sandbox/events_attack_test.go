package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The red-team attacks on this round's evaluation surfaces: the lazy plot
// capture device reachable as getOption("device"), and the message and
// warning events the harness sends with the evaluation's nonce. Each
// attack runs with plot capture and condition events on (the surfaces
// under attack), in a session with the broad guest-like allowlist and the
// guards; its target prints the worker's R_HOME. The attack must reach its
// target unrestricted (so it is real) and be stopped when guarded.
var eventAttacks = []runtimeAttack{
	// The capture device and its environment (under base).
	{"device", "with its enclosure", `with(environment(getOption("device")), cat(Sys.getenv("R_HOME")))`},
	{"device", "getOption then Find", `f <- getOption("device"); e <- Find(is.environment, list(environment(f))); with(e, cat(Sys.getenv("R_HOME")))`},
	{"device", "device from sapply of getOption", `f <- sapply("device", getOption)[[1]]; with(environment(f), cat(Sys.getenv("R_HOME")))`},
	{"device", "device via do.call getOption", `f <- do.call("getOption", list("device")); with(environment(f), cat(Sys.getenv("R_HOME")))`},
	{"device", "device after drawing", `plot(1); f <- getOption("device"); with(environment(f), cat(Sys.getenv("R_HOME")))`},
	{"device", "dev.new then enclosure", `dev.new(); f <- getOption("device"); with(environment(f), cat(Sys.getenv("R_HOME")))`},
	{"device", "local in the enclosure", `f <- getOption("device"); local(cat(Sys.getenv("R_HOME")), environment(f))`},
	// Harness frames on the call stack while user code runs.
	{"frames", "dynGet a base function", `dynGet("Sys.getenv", inherits = TRUE)("R_HOME")`},
	{"frames", "dynGet the evaluation's nonce", `n <- dynGet("current_nonce", inherits = TRUE); if (is.raw(n) && length(n) == 16) cat("MARKER")`},
	{"frames", "dynGet the capture environment", `with(dynGet("plot_cap", inherits = TRUE), cat(Sys.getenv("R_HOME")))`},
	{"frames", "dynGet the harness send", `s <- dynGet("send", inherits = TRUE); with(environment(s), cat(Sys.getenv("R_HOME")))`},
	{"frames", "dynGet in a message handler", `withCallingHandlers(message("m"), message = function(m) cat(dynGet("Sys.getenv", inherits = TRUE)("R_HOME")))`},
	{"frames", "dynGet in a warning handler", `withCallingHandlers(warning("w"), warning = function(w) cat(dynGet("Sys.getenv", inherits = TRUE)("R_HOME")))`},
	{"frames", "sys.status frames", `e <- Find(function(f) !is.null(f$plot_cap), sys.status()$sys.frames); with(e$plot_cap, cat(Sys.getenv("R_HOME")))`},
	{"frames", "dump.frames", `dump.frames("d"); e <- Find(function(f) is.environment(f) && !is.null(f$pc), d); with(e, cat(Sys.getenv("R_HOME")))`},
	// Environments made by methods::as from numbers and names (search
	// positions), not by the user.
	{"environment", "as search position then as.list", `e <- as("package:base", "environment"); as.list(e)$Sys.getenv("R_HOME")`},
	{"environment", "as search position then eapply", `e <- as("package:base", "environment"); eapply(e, function(f) f)$Sys.getenv("R_HOME")`},
	{"environment", "as global position then with", `e <- as(1, "environment"); with(e, cat(Sys.getenv("R_HOME")))`},
	{"environment", "as list then formula", `e <- as(list(a = 1), "environment"); model.frame(as.formula("~ I(cat(Sys.getenv('R_HOME')))", env = as("package:base", "environment")))`},
	{"environment", "as base then mget-like Filter", `e <- as("package:base", "environment"); Filter(is.function, as.list(e, all.names = TRUE))[["Sys.getenv"]]("R_HOME")`},
	{"environment", "for over a foreign environment's list", `for (f in as.list(as("package:base", "environment"))["Sys.getenv"]) cat(f("R_HOME"))`},
	{"environment", "sapply over a foreign environment's list", `sapply(as.list(as("package:base", "environment"))["Sys.getenv"], function(f) cat(f("R_HOME")))`},
	{"environment", "Reduce over a foreign environment's list", `Reduce(function(a, f) cat(f("R_HOME")), as.list(as("package:base", "environment"))["Sys.getenv"], NULL)`},
	{"environment", "mapply over eapply", `mapply(function(f) cat(f("R_HOME")), eapply(as("package:base", "environment"), identity)["Sys.getenv"])`},
	{"environment", "new environment under a methods frame, formula", `model.frame(as.formula("~ I(cat(Sys.getenv('R_HOME')))", env = new("environment")))`},
	{"environment", "new environment under a methods frame, with", `with(new("environment"), cat(Sys.getenv("R_HOME")))`},
	{"environment", "new environment under a methods frame, local", `local(cat(Sys.getenv("R_HOME")), new("environment"))`},
	{"environment", "new environment under a methods frame, stopifnot", `stopifnot(exprs = {cat(Sys.getenv("R_HOME")); TRUE}, local = new("environment"))`},
	{"environment", "new environment under a methods frame, numericDeriv", `numericDeriv(quote(nchar(cat(Sys.getenv("R_HOME")))), character(0), rho = new("environment"))`},
	{"environment", "new environment under a methods frame, do.call", `do.call("Sys.getenv", list("R_HOME"), envir = new("environment"))`},
	{"environment", "new environment under a methods frame, formula by structure", `model.frame(structure(~ I(cat(Sys.getenv("R_HOME"))), .Environment = new("environment")))`},
	{"environment", "new environment under a methods frame, lm", `lm(structure(y ~ I(nchar(cat(Sys.getenv("R_HOME")))), .Environment = new("environment")), data.frame(y = 1:3))`},
	{"s4", "for over the generic's attributes", `for (d in attributes(methods::kronecker)) if (is.function(d)) tryCatch(cat(d("R_HOME", "", "Sys.getenv")), error = function(e) NULL)`},
	{"s4", "Filter over the generic's attributes", `for (d in Filter(is.function, attributes(methods::kronecker))) tryCatch(cat(d("R_HOME", "", "Sys.getenv")), error = function(e) NULL)`},
	// User methods the harness's condition handlers dispatch to.
	{"conditions", "conditionMessage method of a custom message", `.S3method("conditionMessage", "evil", function(c) { dynGet("Sys.getenv", inherits = TRUE)("R_HOME") }); message(structure(class = c("evil", "message", "condition"), list(message = "m", call = NULL)))`},
	{"conditions", "conditionMessage method of a custom warning", `.S3method("conditionMessage", "evil", function(c) { dynGet("Sys.getenv", inherits = TRUE)("R_HOME") }); warning(structure(class = c("evil", "warning", "condition"), list(message = "m", call = NULL)))`},
	{"conditions", "conditionCall method of a custom error", `.S3method("conditionCall", "evil", function(c) { cat(dynGet("Sys.getenv", inherits = TRUE)("R_HOME")); NULL }); stop(structure(class = c("evil", "error", "condition"), list(message = "m", call = NULL)))`},
	{"conditions", "signalCondition of a message", `.S3method("conditionMessage", "evil", function(c) { dynGet("Sys.getenv", inherits = TRUE)("R_HOME") }); signalCondition(structure(class = c("evil", "message", "condition"), list(message = "m", call = NULL)))`},
}

// guardedAttacks go after the guards' own wrappers, so they have no
// unrestricted oracle: an unrestricted session has no wrappers.
var guardedAttacks = []runtimeAttack{
	{"wrapper", "the original as from an error's call", `f <- tryCatch(as(1, "nosuchclass"), error = function(e) conditionCall(e)); for (g in as.list(f)) if (is.function(g)) for (h in as.list(g("package:base", "environment"))["Sys.getenv"]) cat(h("R_HOME"))`},
	{"wrapper", "inlined closures of a wrapper's body", `for (x in as.list(body(sapply))) for (y in as.list(x)) for (z in as.list(y)) if (is.function(z)) tryCatch(for (h in as.list(z("package:base", "environment"))["Sys.getenv"]) cat(h("R_HOME")), error = function(e) NULL)`},
}

func TestEventAndDeviceAttacks(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	marker := DefaultRHome
	guarded := guestLikeAllowlist(t, handGuards(t))
	runIn := func(t *testing.T, al *Allowlist, code string) (*Result, string) {
		s, err := p.Acquire(ctx, Binding{User: "guest", Limits: testLimits(), Allowlist: al})
		require.NoError(t, err)
		defer s.Close()
		var events strings.Builder
		res, err := s.Eval(ctx, code, EvalOptions{Plots: true, OnCondition: func(_ ConditionKind, text []byte) {
			events.Write(text)
		}}, nil)
		require.NoError(t, err)
		return res, events.String()
	}
	for _, a := range eventAttacks {
		// MARKER: an attack whose target is data, not a function,
		// prints the marker itself when it gets the data.
		a.code = strings.ReplaceAll(a.code, "MARKER", marker)
		t.Run(a.class+"/"+a.name, func(t *testing.T) {
			t.Parallel()
			oracle, oev := runIn(t, nil, a.code)
			require.Contains(t, string(oracle.Output)+oev, marker,
				"the attack does not reach its target even unrestricted: %s %s", oracle.Output, oracle.Error)
			res, ev := runIn(t, guarded, a.code)
			assert.NotContains(t, string(res.Output)+ev, marker, "the attack reached its target")
		})
	}
	for _, a := range guardedAttacks {
		t.Run(a.class+"/"+a.name, func(t *testing.T) {
			t.Parallel()
			res, ev := runIn(t, guarded, a.code)
			assert.NotContains(t, string(res.Output)+ev, marker, "the attack reached its target")
		})
	}
	// The capture device is handed out by getOption (a local closure,
	// like those of allowed code) but cannot be looked into: its
	// enclosure (under base) is reached by no function the user has.
	t.Run("getOption device", func(t *testing.T) {
		t.Parallel()
		res, _ := runIn(t, guarded, `plot(1); f <- getOption("device"); cat(is.function(f), length(Filter(is.environment, as.list(f))), "\n")`)
		require.Equal(t, StatusOK, res.Status, res.Error)
		assert.Equal(t, "TRUE 0 \n", string(res.Output))
		res, _ = runIn(t, guarded, `plot(1); environment(getOption("device"))`)
		assert.Equal(t, StatusError, res.Status)
	})
	// as() of data still works under the guard on its result.
	t.Run("as of data", func(t *testing.T) {
		t.Parallel()
		res, _ := runIn(t, guarded, `setClass("P", representation(x = "numeric")); p <- new("P", x = 2); cat(as(1:3, "numeric"), as(3.7, "integer"), as("1", "numeric"), is(as(list(1), "list"), "list"), as(p, "P")@x, as(factor("a"), "character"), "\n")`)
		require.Equal(t, StatusOK, res.Status, "%s %s", res.Error, res.Output)
		assert.Equal(t, "1 2 3 3 1 TRUE 2 a \n", string(res.Output))
	})
}

// TestEventFloodAttacks: events are bounded by the output limit however
// they are made: warnings (which print nothing until their expression
// ends), messages to a diverted message stream, conditions signalled
// without a restart, and text that is not valid UTF-8.
func TestEventFloodAttacks(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	limit := testLimits().Output
	for _, tc := range []struct{ name, code string }{
		{"warnings of 60 KB", `for (i in 1:500) warning(strrep("x", 60000))`},
		{"signalCondition of big messages", `m <- simpleMessage(strrep("y", 60000)); for (i in 1:500) signalCondition(m)`},
		{"messages muffled by the code itself", `withCallingHandlers(for (i in 1:500) message(strrep("z", 60000)), message = function(m) NULL)`},
		{"invalid UTF-8 text", `for (i in 1:200) message(rawToChar(as.raw(rep(c(0xff, 0xfe, 0x41), 20000))))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var bytes, n int64
			_, err := s.Eval(ctx, tc.code, EvalOptions{OnCondition: func(_ ConditionKind, text []byte) {
				bytes += int64(len(text))
				n++
			}}, nil)
			require.NoError(t, err)
			assert.Positive(t, n, "some events pass")
			assert.LessOrEqual(t, bytes+n*conditionOverhead, limit, "events within the output limit")
		})
	}
}
