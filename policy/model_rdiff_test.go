package policy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/model"
)

// probeSkip are allowed functions a probe must not call: they wait for
// input, sleep, or print pages of help.
var probeSkip = map[string]bool{
	"base::readline": true, "base::Sys.sleep": true, "base::invisible": true, "base::repeat": true,
	"base::while": true, "base::for": true, "utils::menu": true, "base::scan": true, "base::readLines": true,
	"base::readRDS": true, "base::load": true, "utils::data": true, "base::file": true, "base::q": true,
	"base::stop": true, "base::function": true, "base::browser": true, "base::on.exit": true,
	"base::gc": true, "base::gcinfo": true, "base::mem.maxVSize": true, "base::mem.maxNSize": true,
	"base::Recall": true, "base::standardGeneric": true, "base::UseMethod": true, "base::NextMethod": true,
	"base::return": true, "base::break": true, "base::next": true,
	// Native code that crashes R on malformed models (the OS sandbox
	// contains that; the probe must go on).
	"stats::KalmanForecast": true, "stats::KalmanLike": true, "stats::KalmanRun": true, "stats::KalmanSmooth": true,
}

// TestModelAgainstR is the differential test of issue 11 (acceptance 3):
// every formal of every function the shipped roles allow is probed in
// real R with a string that names a sentinel function ("rwSentinelFn")
// and with a formula string that calls it ("y ~ rwSentinelFn(x)"). When R
// calls the sentinel, the model must classify that formal as taking a
// function, code or a formula (in the function's own signature or one a
// call reaches); a formal R never uses that way may still be classified
// (the model is conservative), which the test counts but allows.
func TestModelAgainstR(t *testing.T) {
	if testing.Short() {
		t.Skip("runs R over every allowed function")
	}
	e := shippedEngine(t)
	m, err := model.Shipped()
	require.NoError(t, err)
	var fns []string
	for _, user := range []string{"guest", "alice"} {
		a, err := e.Allowlist(user)
		require.NoError(t, err)
		for _, f := range a.Functions {
			pkg, _, _ := strings.Cut(f, "::")
			if (pkg == "base" || pkg == "stats" || pkg == "utils" || pkg == "methods") && !probeSkip[f] && !slices.Contains(fns, f) {
				fns = append(fns, f)
			}
		}
	}
	slices.Sort(fns)
	require.Greater(t, len(fns), 500)

	dir := t.TempDir()
	list := filepath.Join(dir, "fns.txt")
	require.NoError(t, os.WriteFile(list, []byte(strings.Join(fns, "\n")+"\n"), 0o644))
	script := `
hit <- FALSE
rwSentinelFn <- function(...) { hit <<- TRUE; 1 }
probes <- c(name = "rwSentinelFn", formula = "y ~ rwSentinelFn(x)")
d <- data.frame(y = 1:3, x = 1:3)
for (key in readLines(commandArgs(TRUE)[1])) {
  pkg <- sub("::.*", "", key)
  name <- sub("^[^:]*::", "", key)
  f <- get0(name, envir = asNamespace(pkg), inherits = FALSE)
  if (!is.function(f)) next
  fl <- suppressWarnings(formals(args(f)))
  fm <- names(fl)
  # formals without a default get a small value: the first a data frame,
  # the others a list of two numbers; ... gets two numbers.
  need <- fm[vapply(seq_along(fl), function(i) identical(fl[[i]], quote(expr = )), TRUE)]
  for (p in setdiff(fm, "...")) for (pr in names(probes)) {
    a <- list(probes[[pr]])
    names(a) <- p
    for (q in setdiff(need, c(p, "..."))) a[[q]] <- if (q == fm[1]) d else list(1, 2)
    if (!("data" %in% names(a)) && "data" %in% fm) a$data <- d
    if ("..." %in% fm) a <- c(a, list(1, 2))
    hit <<- FALSE
    setTimeLimit(elapsed = 2, transient = TRUE)
    try(suppressWarnings(suppressMessages(capture.output(do.call(f, a), type = "output"))), silent = TRUE)
    setTimeLimit()
    if (hit) cat("HIT", key, p, pr, "\n")
  }
}
`
	sp := filepath.Join(dir, "probe.R")
	require.NoError(t, os.WriteFile(sp, []byte(script), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(DefaultRHome, "bin", "Rscript"), "--vanilla", sp, list)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + dir, "R_DEFAULT_DEVICE=pdf"}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	require.NoError(t, err, "%s", lastLines(out.String(), 20))

	classified := func(key, param string) bool {
		pkg, name, _ := strings.Cut(key, "::")
		fn := m.Lookup(pkg, name)
		if fn == nil {
			return false
		}
		for _, sig := range fn.Sigs {
			for _, p := range sig.Params {
				if p.Name == param || (p.Name == "..." && (len(p.Carries) == 0 || slices.Contains(p.Carries, param))) {
					return true
				}
			}
		}
		return false
	}
	hits := 0
	var missed, hit []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "HIT" {
			continue
		}
		hits++
		hit = append(hit, f[1]+" "+f[2])
		if !classified(f[1], f[2]) {
			missed = append(missed, fmt.Sprintf("%s %s (%s probe)", f[1], f[2], f[3]))
		}
	}
	t.Logf("%d functions probed, %d probes reached the sentinel", len(fns), hits)
	t.Logf("reached: %s", strings.Join(hit, ", "))
	// The probe works: R calls a string through these known parameters.
	for _, want := range []string{"base::lapply FUN", "base::sapply FUN", "base::vapply FUN", "base::Reduce f", "base::Filter f", "base::Map f", "base::Position f", "base::Find f", "base::do.call what", "base::outer FUN", "base::mapply FUN", "stats::ave FUN"} {
		assert.Contains(t, hit, want, "the probe should reach the sentinel through %s", want)
	}
	assert.Empty(t, missed, "R calls a string argument of these formals, which the model does not classify")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
