package sandbox

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkGuardedAccessors measures what the guarded `$` and `[[` cost
// per access, against the same allowlist without guards (the primitives):
// each iteration times loops of 20,000 accesses in both sessions and
// reports the net microseconds per access. Run with
// `go test ./sandbox -run '^$' -bench GuardedAccessors -benchtime 5x`.
func BenchmarkGuardedAccessors(b *testing.B) {
	p := benchPool(b, 2)
	ctx := context.Background()
	setup := `l <- list(a = 1, b = 2); df <- data.frame(a = 1:3, bb = 2); e <- new.env(); e$a <- 1; n <- 20000L
f0 <- function() { s <- 0; for (i in seq_len(n)) s <- s + 1; s }
f1 <- function() { s <- 0; for (i in seq_len(n)) s <- s + l$a; s }
f2 <- function() { s <- 0; for (i in seq_len(n)) s <- s + l[["a"]]; s }
f3 <- function() { s <- 0; for (i in seq_len(n)) s <- s + df$a[1]; s }
f4 <- function() { s <- 0; for (i in seq_len(n)) s <- s + e$a; s }
for (f in list(f0, f1, f2, f3, f4)) f()
tm <- function(f) system.time(f())[["elapsed"]]`
	names := []string{"list$", "list[[", "df$", "env$"}
	sessions := map[string]*Session{}
	for _, mode := range []string{"guarded", "plain"} {
		var guards []Guard
		if mode == "guarded" {
			guards = handGuards(b)
		}
		s, err := p.Acquire(ctx, Binding{User: "bench", Limits: testLimits(), Allowlist: guestLikeAllowlist(b, guards)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		if r, err := s.Eval(ctx, setup, EvalOptions{}, nil); err != nil || r.Status != StatusOK {
			b.Fatalf("setup: %v %+v", err, r)
		}
		sessions[mode] = s
	}
	best := map[string][]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for mode, s := range sessions {
			r, err := s.Eval(ctx, `cat(sapply(list(f0, f1, f2, f3, f4), tm))`, EvalOptions{}, nil)
			if err != nil || r.Status != StatusOK {
				b.Fatalf("%v %+v", err, r)
			}
			v := make([]float64, 5)
			if _, err := fmt.Sscan(string(r.Output), &v[0], &v[1], &v[2], &v[3], &v[4]); err != nil {
				b.Fatal(err)
			}
			if best[mode] == nil {
				best[mode] = v
			}
			for j := range v {
				best[mode][j] = min(best[mode][j], v[j])
			}
		}
	}
	for mode, v := range best {
		for j, n := range names {
			b.ReportMetric(1e6*(v[j+1]-v[0])/20000, mode+"-"+n+"-us")
		}
	}
}
