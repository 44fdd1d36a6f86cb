package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
)

// TestAttackStreamDisconnectAudited: a client that leaves an event stream
// mid-evaluation does not leave the evaluation running, and the trail
// holds both its start and its outcome (not ok, long before the code's
// own end) under one eval id.
func TestAttackStreamDisconnectAudited(t *testing.T) {
	a := startAPI(t, nil)
	const code = `for (i in 1:60) { cat("tick", i, "\n"); Sys.sleep(1) }`
	body := `{"code": "for (i in 1:60) { cat(\"tick\", i, \"\\n\"); Sys.sleep(1) }"}`
	req, err := http.NewRequest("POST", a.url+"/v1/eval", strings.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth(alice.user, alice.pass)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	buf := make([]byte, 64)
	_, err = resp.Body.Read(buf)
	require.NoError(t, err)
	left := time.Now()
	resp.Body.Close()
	a.client.CloseIdleConnections()

	var start, outcome *audit.Record
	require.Eventually(t, func() bool {
		start, outcome = nil, nil
		_, err := audit.Query([]string{a.cfg.Audit.File}, audit.Filter{}, func(r *audit.Record) error {
			if r.User != "alice" || r.Code != code {
				return nil
			}
			switch r.Event {
			case audit.EventEvalStart:
				start = r
			case audit.EventEval:
				outcome = r
			}
			return nil
		})
		return err == nil && start != nil && outcome != nil
	}, 30*time.Second, 200*time.Millisecond, "the outcome of the abandoned evaluation is in the trail")
	assert.Equal(t, start.Detail[audit.DetailEvalID], outcome.Detail[audit.DetailEvalID])
	assert.Equal(t, audit.DecisionInterrupted, outcome.Decision, "%+v", outcome)
	assert.Contains(t, outcome.Error, "the client left", "no shutdown happened")
	assert.Less(t, outcome.Duration, 30*time.Second, "cut short, not run to its end")
	t.Logf("outcome %s/%s after %v (%v after the client left): %s", outcome.Decision, outcome.Status,
		outcome.Duration, time.Since(left), outcome.Error)
}
