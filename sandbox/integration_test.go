package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/internal/testutil"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Acceptance 1: ordinary work runs.
func TestOrdinaryWork(t *testing.T) {
	p := newTestPool(t, nil)
	lim := testLimits()
	for _, tc := range []struct {
		name, code string
		want       []string
	}{
		{"regression", "summary(lm(dist ~ speed, cars))", []string{"Residual standard error: 15.38 on 48 degrees of freedom", "speed         3.9324"}},
		{"matrix algebra", "set.seed(2); m <- matrix(rnorm(1e6), 1000); s <- solve(crossprod(m) + diag(1000)); dim(s); isSymmetric(round(s, 8))", []string{"[1] 1000 1000", "[1] TRUE"}},
		{"data frame", "df <- data.frame(a = 1:3, b = letters[1:3]); df$c <- df$a * 2; df[df$a > 1, ]", []string{"2 2 b 4", "3 3 c 6"}},
		{"str", "x <- capture.output(str(iris)); length(x); x[1]", []string{"[1] 6", "150 obs. of  5 variables"}},
		{"file in scratch", `writeLines(c("a","b"), "f.txt"); readLines("f.txt"); file.exists(file.path(getwd(), "f.txt"))`, []string{`[1] "a" "b"`, "[1] TRUE"}},
		{"pdf in scratch", `pdf("p.pdf"); plot(1:10); invisible(dev.off()); file.size("p.pdf") > 1000`, []string{"[1] TRUE"}},
		{"tempdir in scratch", `startsWith(tempdir(), getwd())`, []string{"[1] TRUE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, p, lim, tc.code)
			require.Equal(t, StatusOK, res.Status, "error: %s\noutput: %s", res.Error, res.Output)
			for _, w := range tc.want {
				assert.Contains(t, string(res.Output), w)
			}
		})
	}
	t.Run("random numbers match R outside the sandbox", func(t *testing.T) {
		code := "set.seed(1); rnorm(3)"
		res := run(t, p, lim, code)
		require.Equal(t, StatusOK, res.Status)
		assert.Equal(t, localR(t, code), string(res.Output))
	})
}

// A session keeps state across evaluations, streams output while running,
// and reports messages, warnings and values in structured form.
func TestSessionBehaviour(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	res := eval(t, s, "x <- 41")
	require.Equal(t, StatusOK, res.Status)
	assert.Empty(t, res.Output, "an assignment prints nothing")
	res = eval(t, s, `x + 1; message("note"); warning("careful"); invisible(7)`)
	require.Equal(t, StatusOK, res.Status)
	// R prints a warning without a call followed by a space.
	assert.Equal(t, "[1] 42\nnote\nWarning message:\ncareful \n", string(res.Output))
	assert.Equal(t, []string{"note\n"}, res.Messages)
	assert.Equal(t, []string{"careful"}, res.Warnings)
	// Several, as R numbers them; a long one breaks after "In call :"
	// (the text Rscript prints for the same code).
	res = eval(t, s, `f <- function() { warning("a"); warning("b", call. = FALSE); `+
		`warning("a very long message that goes on and on and on and on and on and on"); g() }
g <- function() warning("x\nsecond line")
f()`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "Warning messages:\n1: In f() : a\n2: b \n3: In f() :\n  a very long message that goes on "+
		"and on and on and on and on and on\n4: In g() : x\nsecond line\n", string(res.Output))

	res = eval(t, s, `f <- function() stop("boom"); cat("before\n"); f(); cat("after\n")`)
	assert.Equal(t, StatusError, res.Status)
	assert.Equal(t, "before\n", string(res.Output))
	assert.Equal(t, "Error in f() : boom\n", res.Error)

	res = eval(t, s, "1 +* 2")
	assert.Equal(t, StatusSyntaxError, res.Status)
	assert.Contains(t, res.Error, "unexpected '*'")

	// The serialized value comes back as R's own serialization.
	ctx := context.Background()
	res, err := s.Eval(ctx, "c(a = 1.5)", EvalOptions{WantValue: true}, nil)
	require.NoError(t, err)
	require.Equal(t, StatusOK, res.Status)
	require.True(t, len(res.Value) > 14)
	assert.Equal(t, "X\n", string(res.Value[:2]), "XDR serialization, version 2")
	// Quiet, as Rserve's eval: visible values are not printed; print() prints.
	res, err = s.Eval(ctx, `x; print("p"); c(a = 1.5)`, EvalOptions{WantValue: true, Quiet: true}, nil)
	require.NoError(t, err)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "[1] \"p\"\n", string(res.Output))
	assert.True(t, len(res.Value) > 14)

	// User code that sinks output or jumps to the top level does not break
	// the session.
	res = eval(t, s, `sink("out.txt"); print("hidden"); sink(type = "message", file = file("m.txt", "w"))`)
	require.Equal(t, StatusOK, res.Status)
	res = eval(t, s, `print("visible"); readLines("out.txt")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Contains(t, string(res.Output), `"visible"`)
	res = eval(t, s, `invokeRestart("abort")`)
	assert.Equal(t, StatusError, res.Status)
	assert.Contains(t, res.Error, "aborted")
	res = eval(t, s, "x")
	assert.Equal(t, "[1] 41\n", string(res.Output), "state survives")

	// Output streams while the evaluation runs.
	var first atomic.Int64
	start := time.Now()
	res, err = s.Eval(ctx, `cat("tick\n"); Sys.sleep(1.5); cat("tock\n")`, EvalOptions{}, func(b []byte) {
		first.CompareAndSwap(0, int64(time.Since(start)))
	})
	require.NoError(t, err)
	require.Equal(t, StatusOK, res.Status)
	assert.Less(t, time.Duration(first.Load()), time.Second, "first output arrived before the evaluation ended")
}

// Acceptance 2: with the R-level stubs bypassed, the OS still holds.
func TestOSHolds(t *testing.T) {
	p := newTestPool(t, nil)
	lim := testLimits()
	lim.Wall = 10 * time.Second

	// A listener the worker must never reach.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	// A canary outside the scratch directory, readable by everyone.
	canaryDir, err := os.MkdirTemp("", "rwarden-canary-")
	require.NoError(t, err)
	defer os.RemoveAll(canaryDir)
	require.NoError(t, os.Chmod(canaryDir, 0o755))
	canary := filepath.Join(canaryDir, "canary.txt")
	require.NoError(t, os.WriteFile(canary, []byte("CANARY-7f3a\n"), 0o644))
	escape := filepath.Join(canaryDir, "escaped.txt")

	// A signal the worker must not be able to send to this process.
	usr1 := make(chan os.Signal, 4)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)

	mustNot := func(res *Result, marker string) {
		t.Helper()
		assert.NotContains(t, string(res.Output), marker)
		assert.NotContains(t, res.Error, marker)
	}
	for _, tc := range []struct {
		name  string
		code  string
		check func(t *testing.T, res *Result)
	}{
		{"internal system", `.Internal(system("echo PWNED-$((6*7))", TRUE, 0L))`, func(t *testing.T, r *Result) { mustNot(r, "PWNED-42") }},
		{"pipe", `readLines(pipe("echo PWNED-$((6*7))"))`, func(t *testing.T, r *Result) {
			mustNot(r, "PWNED-42")
			assert.Equal(t, StatusError, r.Status)
		}},
		{"system2", `system2("sh", c("-c", shQuote("echo PWNED-$((6*7))")), stdout = TRUE)`, func(t *testing.T, r *Result) { mustNot(r, "PWNED-42") }},
		{"mcparallel", `j <- parallel::mcparallel(1 + 1); parallel::mccollect(j)`, func(t *testing.T, r *Result) {
			assert.Equal(t, StatusError, r.Status)
		}},
		{"socketConnection", fmt.Sprintf(`socketConnection("127.0.0.1", %d, open = "r+", timeout = 2)`, port), func(t *testing.T, r *Result) {
			assert.Equal(t, StatusError, r.Status)
		}},
		{"url", fmt.Sprintf(`readLines(url("http://127.0.0.1:%d/"))`, port), func(t *testing.T, r *Result) {
			assert.Equal(t, StatusError, r.Status)
		}},
		{"read canary", fmt.Sprintf(`readLines(%q)`, canary), func(t *testing.T, r *Result) {
			mustNot(r, "CANARY-7f3a")
			assert.Equal(t, StatusError, r.Status)
		}},
		{"list canary dir", fmt.Sprintf(`list.files(%q)`, canaryDir), func(t *testing.T, r *Result) { mustNot(r, "canary.txt") }},
		{"write outside scratch", fmt.Sprintf(`writeLines("x", %q)`, escape), func(t *testing.T, r *Result) {
			assert.Equal(t, StatusError, r.Status)
			assert.NoFileExists(t, escape)
		}},
		{"read /etc/passwd", `readLines("/etc/passwd")`, func(t *testing.T, r *Result) { mustNot(r, "root:x:0:0") }},
		{"read /proc of rwarden", fmt.Sprintf(`readLines("/proc/%d/environ")`, os.Getpid()), func(t *testing.T, r *Result) {
			assert.Equal(t, StatusError, r.Status)
		}},
		{"signal rwarden", fmt.Sprintf(`tools::pskill(%d, tools::SIGUSR1)`, os.Getpid()), func(t *testing.T, r *Result) {
			select {
			case <-usr1:
				t.Error("the worker signalled rwarden")
			case <-time.After(300 * time.Millisecond):
			}
		}},
		{"environment", `e <- Sys.getenv(); e[["RWARDEN_TEST_SECRET"]]; paste(names(e), e, collapse = " ")`, func(t *testing.T, r *Result) {
			mustNot(r, "hunter2-canary")
		}},
		{"exec a copied binary", `file.copy("/usr/bin/id", "id"); Sys.chmod("id", "755"); .Internal(system("./id", TRUE, 0L))`, func(t *testing.T, r *Result) {
			mustNot(r, "uid=")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, p, lim, tc.code)
			tc.check(t, res)
		})
	}
	time.Sleep(200 * time.Millisecond)
	assert.Zero(t, accepted.Load(), "the loopback listener saw a connection from a worker")
}

func init() {
	// Set before any pool starts: the worker must not see it.
	os.Setenv("RWARDEN_TEST_SECRET", "hunter2-canary")
}

// Acceptance 2: a worker cannot read another live worker's scratch directory.
func TestWorkersIsolatedFromEachOther(t *testing.T) {
	p := newTestPool(t, nil)
	a := acquire(t, p, testLimits())
	b := acquire(t, p, testLimits())
	res := eval(t, a, `writeLines("SECRET-A-91", "secret.txt"); cat(getwd(), Sys.getpid(), sep = "\n")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	lines := strings.Split(strings.TrimSpace(string(res.Output)), "\n")
	require.Len(t, lines, 2)
	dirA, pidA := lines[0], lines[1]
	for _, code := range []string{
		fmt.Sprintf(`readLines(%q)`, filepath.Join(dirA, "secret.txt")),
		fmt.Sprintf(`list.files(%q)`, dirA),
		fmt.Sprintf(`readLines("/proc/%s/environ")`, pidA),
		fmt.Sprintf(`tools::pskill(%s, 9L)`, pidA),
	} {
		res := eval(t, b, code)
		assert.NotContains(t, string(res.Output), "SECRET-A-91", code)
		assert.NotContains(t, string(res.Output), "secret.txt", code)
	}
	res = eval(t, a, `readLines("secret.txt")`)
	assert.Equal(t, "[1] \"SECRET-A-91\"\n", string(res.Output), "worker A survived B's attempts")
}

// Acceptance 3: limits.
func TestLimitsEnforced(t *testing.T) {
	p := newTestPool(t, nil)
	wallLim := testLimits()
	wallLim.Wall = 2 * time.Second
	for _, code := range []string{
		"Sys.sleep(1e6)",
		"repeat {}",
		"tryCatch(repeat {}, interrupt = function(e) repeat {})",
	} {
		t.Run("wall "+code, func(t *testing.T) {
			start := time.Now()
			res := run(t, p, wallLim, code)
			assert.Equal(t, StatusTimeout, res.Status)
			assert.Contains(t, res.Error, "wall-clock limit")
			assert.Less(t, time.Since(start), 30*time.Second, "ended by the wall limit, not by the test timeout")
		})
	}
	t.Run("cpu", func(t *testing.T) {
		lim := testLimits()
		lim.CPU = time.Second
		res := run(t, p, lim, "repeat {}")
		assert.Equal(t, StatusKilled, res.Status)
		assert.Contains(t, res.Error, "CPU time limit")
	})
	t.Run("memory", func(t *testing.T) {
		lim := testLimits()
		lim.Memory = 1 << 30
		s := acquire(t, p, lim)
		res := eval(t, s, "x <- numeric(1e11)")
		assert.Equal(t, StatusError, res.Status)
		assert.Contains(t, res.Error, "cannot allocate")
		res = eval(t, s, "x <- numeric(2e8)") // 1.6 GB: over this session's 1 GiB
		assert.Equal(t, StatusError, res.Status)
		res = eval(t, s, "sum(1:10)")
		assert.Equal(t, "[1] 55\n", string(res.Output), "the session goes on")
	})
	t.Run("output flood", func(t *testing.T) {
		lim := testLimits()
		lim.Output = 100 << 10
		res := run(t, p, lim, `for (i in 1:200000) cat("0123456789\n"); cat("done\n")`)
		assert.Equal(t, StatusOK, res.Status)
		assert.True(t, res.Truncated)
		assert.Equal(t, int64(100<<10), int64(len(res.Output)))
		assert.Equal(t, int64(200000*11+5), res.OutputBytes)
	})
	t.Run("fork loop", func(t *testing.T) {
		s := acquire(t, p, testLimits())
		res := eval(t, s, `n <- 0; for (i in 1:50) n <- n + !inherits(try(parallel::mcparallel(Sys.sleep(60)), silent = TRUE), "try-error"); n; Sys.getpid()`)
		require.Equal(t, StatusOK, res.Status, res.Error)
		out := strings.Fields(string(res.Output))
		require.Len(t, out, 4)
		assert.Equal(t, "0", out[1], "no fork succeeded")
		pid, err := strconv.Atoi(out[3])
		require.NoError(t, err)
		assert.Empty(t, testutil.ChildrenOf(pid), "the worker has no children")
	})
}

// Forked and cold: without root they differ (a forked session's own tmpfs
// where user namespaces are allowed, rwarden's usage check otherwise).
func TestScratchQuota(t *testing.T) {
	for _, m := range startModes {
		t.Run(m.name, func(t *testing.T) { scratchQuotaIn(t, m.cold) })
	}
}

func scratchQuotaIn(t *testing.T, cold bool) {
	p := newTestPool(t, func(c *Config) { c.ScratchBytes = 32 << 20; c.DisableFork = cold })
	s := modeSession(t, p, cold)
	res := eval(t, s, `x <- raw(20 * 2^20); f <- file("a", "wb"); writeBin(x, f); close(f); file.size("a")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "[1] 20971520\n", string(res.Output), "a file within the quota can be written")
	res = eval(t, s, `f <- file("b", "wb"); writeBin(x, f); close(f); file.size("b")`)
	if os.Geteuid() == 0 || (s.w.forked && p.l.rootless) {
		// As root, and in a forked session in its own user namespace, the
		// private tmpfs refuses the write (R reports it as a warning or an
		// error), and the session goes on.
		assert.NotEqual(t, "[1] 20971520\n", string(res.Output), "40 MiB were written into a 32 MiB quota")
		res = eval(t, s, `file.size("a")`)
		assert.Equal(t, "[1] 20971520\n", string(res.Output), "the session goes on after hitting the quota")
		return
	}
	// Unprivileged otherwise, the quota is checked by rwarden while and
	// after the evaluation runs: the session is stopped.
	assert.Equal(t, StatusKilled, res.Status)
	assert.Contains(t, res.Error, "scratch disk quota")
}

// Acceptance 4: the pool.
func TestPoolNeverReusesWorkers(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 2 })
	// Compare descriptors in the same state: two warm workers idle.
	settled := func() {
		require.Eventually(t, func() bool { return p.Stats().Idle == 2 }, time.Minute, 10*time.Millisecond)
	}
	settled()
	fdsBefore := countFDs(t)
	seenIDs := map[string]bool{}
	seenPIDs := map[string]bool{}
	var scratchDirs []string
	for i := 0; i < 50; i++ {
		s := acquire(t, p, testLimits())
		res := eval(t, s, `cat(Sys.getpid(), getwd(), sep = "\n")`)
		require.Equal(t, StatusOK, res.Status, res.Error)
		f := strings.Fields(string(res.Output))
		require.Len(t, f, 2)
		assert.False(t, seenIDs[s.WorkerID()], "worker %s reused", s.WorkerID())
		assert.False(t, seenPIDs[f[0]], "R process %s reused", f[0])
		seenIDs[s.WorkerID()] = true
		seenPIDs[f[0]] = true
		scratchDirs = append(scratchDirs, f[1])
		s.Close()
	}
	for _, d := range scratchDirs {
		assert.NoDirExists(t, d, "scratch directory left behind")
	}
	settled()
	assert.Equal(t, fdsBefore, countFDs(t), "descriptors leaked")
	p.Close()
	assert.Empty(t, testutil.ChildrenOf(os.Getpid()), "processes left behind")
	ents, err := os.ReadDir(p.cfg.ScratchRoot)
	require.NoError(t, err)
	for _, e := range ents {
		assert.Equal(t, ".lock", e.Name(), "scratch root not empty after close")
	}
}

// User code that closes every connection closes the harness's channel to
// rwarden: the worker ends at once and the session reports it, instead of
// failing in a loop until the wall-clock limit (a timeout, before).
func TestClosedChannelEndsWorker(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	require.Equal(t, "[1] 2\n", string(eval(t, s, "1+1").Output))
	res := eval(t, s, "closeAllConnections(); 1")
	assert.Equal(t, StatusCrashed, res.Status)
	assert.Contains(t, res.Error, "died unexpectedly")
	_, err := s.Eval(context.Background(), "1", EvalOptions{}, nil)
	assert.ErrorIs(t, err, ErrSessionClosed)
}

func TestWorkerKilledMidEvaluation(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	res := eval(t, s, "cat(Sys.getpid())")
	pid, err := strconv.Atoi(strings.TrimSpace(string(res.Output)))
	require.NoError(t, err)
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}()
	res = eval(t, s, "Sys.sleep(30)")
	assert.Equal(t, StatusCrashed, res.Status)
	assert.Contains(t, res.Error, "died unexpectedly")
	assert.Contains(t, res.Error, "killed")
	_, err = s.Eval(context.Background(), "1", EvalOptions{}, nil)
	assert.ErrorIs(t, err, ErrSessionClosed)
	// The pool recovers.
	res = run(t, p, testLimits(), "1 + 1")
	assert.Equal(t, "[1] 2\n", string(res.Output))
}

func TestIdleWorkerDeathIsReplaced(t *testing.T) {
	p := newTestPool(t, nil)
	require.Eventually(t, func() bool { return p.Stats().Idle == 1 }, 30*time.Second, 50*time.Millisecond)
	p.mu.Lock()
	victim := p.idle[0]
	p.mu.Unlock()
	require.NoError(t, syscall.Kill(victim.pid, syscall.SIGKILL))
	// Once the death is observable, the dead worker is never handed out.
	require.Eventually(t, func() bool { return !victim.cpu.running() }, 10*time.Second, time.Millisecond)
	res := run(t, p, testLimits(), "1 + 1")
	assert.Equal(t, "[1] 2\n", string(res.Output))
	assert.Eventually(t, func() bool { return p.Stats().Idle == 1 }, 30*time.Second, 50*time.Millisecond)
}

func TestAcquireHonoursDeadline(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0; c.Max = 1 })
	s := acquire(t, p, testLimits())
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.Acquire(ctx, Binding{Limits: testLimits()})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	s.Close()
	res := run(t, p, testLimits(), "2 + 2")
	assert.Equal(t, "[1] 4\n", string(res.Output))
}

func TestCanceledEvaluationKillsWorker(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := s.Eval(ctx, "Sys.sleep(30)", EvalOptions{}, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = s.Eval(context.Background(), "1", EvalOptions{}, nil)
	assert.ErrorIs(t, err, ErrSessionClosed)
}

// Sessions waiting for room are served in the order they came.
func TestAcquireIsFIFO(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0; c.Max = 1 })
	first := acquire(t, p, testLimits())
	order := make(chan int, 4)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := p.Acquire(context.Background(), Binding{Limits: testLimits()})
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			time.Sleep(50 * time.Millisecond)
			s.Close()
		}()
		// Let waiter i queue before waiter i+1 arrives.
		require.Eventually(t, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.waiting == i+1
		}, 10*time.Second, time.Millisecond)
	}
	first.Close()
	wg.Wait()
	close(order)
	var got []int
	for i := range order {
		got = append(got, i)
	}
	assert.Equal(t, []int{0, 1, 2, 3}, got)
}
