package e2e

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12: idle QAP1 sessions holding every worker do not lock another
// user out: each is ended at its idle limit (audited with the reason), its
// connection closed and its worker freed, and the waiting user is served.
func TestIdleSessionsFreeWorkers(t *testing.T) {
	e := startQAP(t, qapOptions{poolMax: 2, idle: "3s"})
	// Two anonymous sessions take both workers and go quiet.
	var idle []*qapClient
	for i := 0; i < 2; i++ {
		q := dialQAP(t, "tcp", e.anon, nil)
		q.mustEval("x <- 1")
		idle = append(idle, q)
	}
	// alice needs a worker: she waits for one of the idle sessions to end.
	q := dialQAP(t, "tcp", e.login, nil)
	require.Equal(t, int32(qap1.RespOK), q.login("alice", alicePassword))
	assert.Equal(t, []float64{42}, q.mustEval("6 * 7").Reals)

	// The idle ones were told nothing more: their connections are closed.
	for _, c := range idle {
		require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		_, err := c.conn.Read(make([]byte, 1))
		var ne net.Error
		assert.True(t, errors.Is(err, io.EOF) || (errors.As(err, &ne) && !ne.Timeout()),
			"an idle session's connection is still open: %v", err)
	}
	ended := 0
	_, err := audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventSessionEnd}, func(r *audit.Record) error {
		if r.User == "guest" && r.Detail["reason"] == "idle: no request within 3s" {
			ended++
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, ended, "session_end records of the idle sessions with their reason")
}
