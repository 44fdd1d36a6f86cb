package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/testutil"
)

// rsclientValues are evaluated remotely with RS.eval and locally; each
// pair must be identical(). They are written as R source and sent as the
// language objects RS.eval sends.
var rsclientValues = []string{
	`1 + 1`,
	`1:10`,
	`c(a = 1.5, b = NA, c = -Inf, d = NaN)`,
	`c(TRUE, NA, FALSE)`,
	`c("h\u00e9llo", NA, "", "Gr\u00fc\u00dfe \u2211")`,
	`NULL`,
	`list(1, "a", list(b = 2, c = NULL))`,
	`factor(c("x", "y", "x"), levels = c("y", "x", "z"))`,
	`data.frame(a = 1:3, b = c("u", "v", "w"))`,
	`matrix(1:6, 2, dimnames = list(c("r1", "r2"), c("a", "b", "c")))`,
	`as.raw(c(1, 255, 0))`,
	`complex(real = 1, imaginary = -2)`,
	`seq(0, 1, by = 0.25)`,
	`rev(letters)`,
	`table(c("a", "b", "a"))`,
	`as.Date("2024-02-29") + 0:2`,
	`as.POSIXct("2024-01-02 03:04:05", tz = "UTC")`,
	`summary(c(1, 2, 3, 4))`,
	`quote(x + y * f(z))`,
	`array(1:24, c(2, 3, 4))`,
	`strsplit("a,b,c", ",")`,
	`pairlist(a = 1, 2)`,
	`2^31`,
	`.Machine$integer.max`,
	`sqrt(2)`,
	`sort(c(3, 1, 2))`,
	`paste0("x", 1:3)`,
	`nchar("Gr\u00fc\u00dfe")`,
	`mean(c(1, 2, 3, NA), na.rm = TRUE)`,
	`structure(list(x = 1), class = "myclass")`,
	`integer(0)`,
	`as.character(1:3)`,
	`month.name`,
	`c(x = 1L)`,
	`1e-300 * 1e-10`,
	`as.numeric(1:100000)`,
	`y ~ x`,
	`{ v <- 3; v * 2 }`,
	`lm(dist ~ speed, cars)$coefficients`,
}

// rsclientAssign are values RS.assign sends (R 4.x serialization version
// 3, ALTREP included), read back with RS.eval.
var rsclientAssign = []string{
	`1:10`,
	`as.character(1:5)`,
	`sort(c(2.5, 1))`,
	`c(x = 0.1, y = 1/3)`,
	`data.frame(a = 1:2, b = c("p", "q"))`,
	`list(a = NULL, b = list(TRUE))`,
	`as.character(c(0.1, 1e5, 123456, 1/3))`,
	`as.numeric(5:1)`,
}

// Acceptance 1: RSclient over TLS with the dev CA, the RSA login, RS.eval,
// RS.eval.qap (including a value over 16 MiB), RS.assign and RS.close; a
// denied call fails in the client and geterrmessage() names the function.
func TestQAP1RSclient(t *testing.T) {
	needR(t)
	testutil.NeedRPackage(t, "RSclient")
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	tlsPort, plainPort := freePort(t), freePort(t)
	l := st.Config.Listeners[0]
	serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    tls: {cert: %s, key: %s}
  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
`, tlsPort, l.TLS.Cert, l.TLS.Key, plainPort), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")

	quote := func(list []string) string {
		q := make([]string, len(list))
		for i, s := range list {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "c(" + strings.Join(q, ",\n") + ")"
	}
	script := fmt.Sprintf(`
suppressMessages(library(RSclient))
report <- function(ok, what) cat(if (isTRUE(ok)) "OK" else "FAIL", what, "\n")
check_session <- function(c) {
  vals <- %s
  for (s in vals) {
    e <- str2lang(s)
    remote <- tryCatch(RS.eval(c, e, lazy = FALSE), error = function(err) err)
    report(identical(remote, eval(e, globalenv())), paste("eval", s))
  }
  for (s in %s) {
    v <- eval(str2lang(s))
    RS.assign(c, "assigned", v)
    report(identical(RS.eval(c, assigned), v), paste("assign", s))
  }
  q <- RS.eval.qap(c, quote(list(a = 1:3, b = "x", c = c(u = TRUE, v = NA))))
  report(identical(q, list(a = 1:3, b = "x", c = c(u = TRUE, v = NA))), "eval.qap list")
  big <- RS.eval.qap(c, quote({ set.seed(42); rnorm(2.5e6) }))
  report(identical(big, { set.seed(42); rnorm(2.5e6) }), "eval.qap 20 MB")
  RS.eval(c, counter <- 1)
  RS.eval(c, counter <- counter + 1)
  report(identical(RS.eval(c, counter), 2), "state kept")
  denied <- tryCatch({ RS.eval(c, system("id")); "no error" }, error = function(err) conditionMessage(err))
  report(!identical(denied, "no error"), paste("denied call raises an error:", denied))
  msg <- RS.eval(c, geterrmessage())
  report(grepl("base::system", msg, fixed = TRUE), paste("geterrmessage names the function:", msg))
  refused <- tryCatch({ RS.assign(c, "f", function() 1); "no error" }, error = function(err) conditionMessage(err))
  report(!identical(refused, "no error"), "closure assignment refused")
}
c <- RS.connect("127.0.0.1", %d, tls = TRUE, ca = %q)
RS.login(c, "alice", %q, authkey = RS.authkey(c))
check_session(c)
RS.close(c)
# RSclient's finalizer of a closed TLS connection shuts TLS down on the
# descriptor number it had; run it before that number is reused.
rm(c); invisible(gc())
p <- RS.connect("127.0.0.1", %d)
RS.login(p, "alice", %q, authkey = RS.authkey(p))
report(identical(RS.eval(p, 6 * 7), 42), "plaintext loopback RSA login")
bad <- RS.connect("127.0.0.1", %d)
r <- tryCatch({ RS.login(bad, "alice", "wrong", authkey = RS.authkey(bad)); RS.eval(bad, 1) }, error = function(err) "refused")
report(identical(r, "refused"), "wrong password refused")
RS.close(p)
`, quote(rsclientValues), quote(rsclientAssign), tlsPort, st.PKI.CACertPath, alicePassword,
		plainPort, alicePassword, plainPort)
	out := testutil.RunRWithin(t, t.TempDir(), script, 4*time.Minute)
	var ok, fail int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(line, "OK "):
			ok++
		case strings.HasPrefix(line, "FAIL "):
			fail++
			t.Errorf("RSclient: %s", line)
		}
	}
	assert.Equal(t, len(rsclientValues)+len(rsclientAssign)+8, ok, "output:\n%s", out)
	assert.Zero(t, fail)
}
