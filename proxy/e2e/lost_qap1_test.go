package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14: when a QAP1 session's worker dies (here its R process is
// killed with SIGKILL by its own code, which role:admin may run), the
// connection never continues on a fresh R process: the next command is
// answered ERR_conn_broken and the connection is closed; the session's end
// record says that its R state was lost, and why.
func TestQAP1LostSessionIsNotSilentlyReplaced(t *testing.T) {
	e := startQAP(t, qapOptions{})
	require.NoError(t, os.WriteFile(filepath.Join(e.srv.state, "policies", "users", "guest.csv"),
		[]byte("g, guest, role:admin\n"), 0o644))
	require.Eventually(t, func() bool {
		q := dialQAP(t, "tcp", e.anon, nil)
		defer q.conn.Close()
		_, cmd := q.eval("Sys.getpid()")
		return cmd == qap1.RespOK
	}, 30*time.Second, 200*time.Millisecond, "the policy reload did not make guest an admin")

	q := dialQAP(t, "tcp", e.anon, nil)
	q.mustEval("x <- 42")
	assert.Equal(t, []float64{42}, q.mustEval("x").Reals)

	_, cmd := q.eval("tools::pskill(Sys.getpid(), 9L)")
	assert.NotEqual(t, int32(qap1.RespOK), cmd, "the evaluation that lost its worker fails")

	cmd, _ = q.call(qap1.CmdEval, qap1.StringParam("x"))
	assert.Equal(t, qap1.RespError(qap1.ErrConnBroken), cmd, "no fresh R process answers for the lost session")
	// The connection is closed after that answer.
	require.NoError(t, q.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := q.conn.Write(qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1")))
	if err == nil {
		_, err = qap1.ReadHeader(q.conn)
	}
	assert.Error(t, err, "the connection is closed")

	require.Eventually(t, func() bool {
		found := false
		_, err := audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventSessionEnd}, func(r *audit.Record) error {
			if strings.Contains(r.Detail["reason"], "R state lost") && strings.Contains(r.Detail["reason"], "worker") {
				found = true
			}
			return nil
		})
		return err == nil && found
	}, 10*time.Second, 100*time.Millisecond, "the session's end record names the lost state")
}
