package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14, acceptance 4: with 10 evaluations in flight, rwarden is killed
// (SIGKILL) or stopped with a short grace (SIGTERM); after a restart on the
// same audit trail, `rwarden audit verify` passes and all 10 evaluations
// are in the trail with their code, shown as interrupted.
func TestE2EInterruptedEvaluationsInTheTrail(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"kill -9", syscall.SIGKILL},
		{"SIGTERM with a short grace", syscall.SIGTERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needR(t)
			state, _ := prepareState(t)
			const n = 10
			extra := "pool: {warm: 2, max: 12, acquire_timeout: 2m}\nshutdown_grace: 1s\nlimits: {users: {guest: {sessions: 12}}}\n"
			srv := serve(t, state, extra)
			files := func() []string {
				f, err := filepath.Glob(filepath.Join(state, "audit.jsonl*"))
				require.NoError(t, err)
				return f
			}
			code := func(i int) string { return fmt.Sprintf("Sys.sleep(30); %d", 1000+i) }
			for i := range n {
				go srv.evalNoFail(code(i))
			}
			started := func() map[string]bool {
				got := map[string]bool{}
				_, err := audit.Query(files(), audit.Filter{Event: audit.EventEvalStart}, func(r *audit.Record) error {
					got[r.Code] = true
					return nil
				})
				require.NoError(t, err)
				return got
			}
			require.Eventually(t, func() bool { return len(started()) == n }, 2*time.Minute, 50*time.Millisecond,
				"the 10 evaluations did not all start")

			require.NoError(t, srv.cmd.Process.Signal(tc.sig))
			done := make(chan error, 1)
			go func() { done <- srv.cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("rwarden did not stop")
			}

			// Restart on the same state (and audit trail); it must come up
			// and evaluate.
			again := serve(t, state, extra)
			assert.Equal(t, "[1] 2\n", again.eval(t, "1+1"))

			verify := exec.Command(bin, append([]string{"audit", "verify"}, files()...)...)
			out, err := verify.CombinedOutput()
			require.NoError(t, err, "audit verify failed:\n%s", out)
			assert.Contains(t, string(out), "OK:")

			// `audit query --decision interrupted` shows each of the 10 once:
			// its eval_start without an outcome (kill) or its outcome
			// recorded as interrupted at shutdown (SIGTERM).
			query := exec.Command(bin, append([]string{"audit", "query", "--decision", "interrupted"}, files()...)...)
			var stdout, stderr bytes.Buffer
			query.Stdout, query.Stderr = &stdout, &stderr
			require.NoError(t, query.Run(), stderr.String())
			rows := 0
			for _, line := range strings.Split(stdout.String(), "\n") {
				if strings.Contains(line, " interrupted ") {
					rows++
				}
			}
			assert.Equal(t, n, rows, stdout.String())

			// And each of them with its code: the interrupted records link
			// (eval_id) to eval_start records that carry the code.
			codeOf := map[string]string{}
			var cut []string
			_, err = audit.QueryEvals(files(), audit.Filter{}, func(r *audit.Record, interrupted bool) error {
				id := r.Detail[audit.DetailEvalID]
				if r.Event == audit.EventEvalStart {
					codeOf[id] = r.Code
				}
				if interrupted || r.Decision == audit.DecisionInterrupted {
					cut = append(cut, id)
				}
				return nil
			})
			require.NoError(t, err)
			var codes []string
			for _, id := range cut {
				codes = append(codes, codeOf[id])
			}
			var want []string
			for i := range n {
				want = append(want, code(i))
			}
			assert.ElementsMatch(t, want, codes)
			if tc.sig == syscall.SIGKILL {
				assert.Contains(t, string(out), fmt.Sprintf("%d evaluation(s) interrupted", n), "verify lists the starts without an outcome")
			}
		})
	}
}
