package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// auditServer is a server with a TLS listener (alice has a password) and
// the admin endpoint; auditFile "" keeps the trail in the state directory.
type auditServer struct {
	*fixture
	admin string
}

func startAudit(t *testing.T, auditFile, extra string) *auditServer {
	t.Helper()
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	if auditFile == "" {
		auditFile = filepath.Join(state, "audit.jsonl")
	}
	tlsPort, adminPort := freePort(t), freePort(t)
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s, client_ca: %s, client_auth: request}
`, tlsPort, l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA), fmt.Sprintf(`pool: {warm: 2, max: 8, acquire_timeout: 2m}
admin: {address: "127.0.0.1:%d"}
audit: {file: %s}
%s`, adminPort, auditFile, extra))
	f := &fixture{srv: srv, tlsAddr: fmt.Sprintf("127.0.0.1:%d", tlsPort), pki: st.PKI, audit: auditFile}
	return &auditServer{fixture: f, admin: fmt.Sprintf("127.0.0.1:%d", adminPort)}
}

func (e *auditServer) records(t *testing.T) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{e.audit}, audit.Filter{}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}

// Issue 5, acceptance 1 and 6: a scripted run (allowed, denied, error,
// timeout, failed login) produces the matching records with every field
// filled, the chain verifies, and /metrics parses as Prometheus text with
// counters that match the records.
func TestE2EAuditRecordsAndMetrics(t *testing.T) {
	e := startAudit(t, "", "limits: {users: {guest: {wall: 2s}}}\n")
	pw := &framed.Credentials{User: "alice", Password: []byte(alicePassword)}
	tlsCfg := e.tlsConfig(t, "", "")
	steps := []struct {
		code, decision string
	}{
		{"cat('hello\\n'); 1 + 1", audit.DecisionAllowed},
		{"system('id')", audit.DecisionDenied},
		{"stop('deliberate')", audit.DecisionError},
		{"Sys.sleep(60)", audit.DecisionTimeout},
	}
	for _, s := range steps {
		e.srv.eval(t, s.code)
	}
	// A failed login, then a good one (after the limiter's delay).
	ans := e.evalTLS(t, tlsCfg, &framed.Credentials{User: "alice", Password: []byte("wrong")}, "1")
	require.Equal(t, "Error: authentication failed\n", ans)
	time.Sleep(600 * time.Millisecond)
	ans = e.evalTLS(t, tlsCfg, pw, "sum(1:10)")
	require.Equal(t, "[1] 55\n", ans)

	recs := e.records(t)
	var evals []*audit.Record
	for _, r := range recs {
		if r.Event == audit.EventEval {
			evals = append(evals, r)
		}
	}
	require.Len(t, evals, 5)
	for i, s := range steps {
		r := evals[i]
		assert.Equal(t, s.decision, r.Decision, s.code)
		assert.Equal(t, s.code, r.Code)
		for name, v := range map[string]string{"session": r.Session, "user": r.User, "auth_method": r.AuthMethod,
			"remote": r.Remote, "listener": r.Listener, "protocol": r.Protocol, "code_sha256": r.CodeSHA256,
			"status": r.Status, "hash": r.Hash, "prev_hash": r.PrevHash} {
			assert.NotEmpty(t, v, "%s: %s", s.code, name)
		}
		assert.False(t, r.Time.IsZero())
		assert.NotZero(t, r.Seq)
		assert.NotZero(t, r.Duration, s.code)
		require.NotNil(t, r.Limits, s.code)
		assert.Equal(t, 2*time.Second, r.Limits.Wall)
		switch s.decision {
		case audit.DecisionDenied:
			require.NotEmpty(t, r.Violations)
			v := r.Violations[0]
			assert.Equal(t, "base::system", v.Object)
			assert.Equal(t, "call", v.Act)
			assert.Equal(t, 1, v.Line)
			assert.Equal(t, 1, v.Col)
			assert.NotEmpty(t, v.Rule)
			assert.Empty(t, r.Worker, "denied code never reaches a worker")
		case audit.DecisionAllowed:
			assert.NotEmpty(t, r.Worker)
			assert.Equal(t, int64(len("hello\n[1] 2\n")), r.OutputBytes)
		default:
			assert.NotEmpty(t, r.Worker, s.code)
			assert.NotEmpty(t, r.Error, s.code)
		}
	}
	var authFail, authOK, starts, ends int
	for _, r := range recs {
		switch {
		case r.Event == audit.EventAuth && r.Status == audit.StatusFailure:
			authFail++
			assert.Equal(t, "alice", r.User)
			assert.Equal(t, "password", r.AuthMethod)
			assert.NotEmpty(t, r.Remote)
			assert.NotEmpty(t, r.Error)
		case r.Event == audit.EventAuth && r.Status == audit.StatusSuccess:
			authOK++
		case r.Event == audit.EventSessionStart:
			starts++
		case r.Event == audit.EventSessionEnd:
			ends++
		}
	}
	assert.Equal(t, 1, authFail)
	assert.Equal(t, 5, authOK)
	assert.Equal(t, 5, starts)
	assert.Equal(t, recs[0].Event, audit.EventServerStart)

	// The chain verifies, through the command an operator would use.
	out, err := exec.Command(bin, "audit", "verify", e.audit).CombinedOutput()
	assert.NoError(t, err, "%s", out)

	// Metrics parse as Prometheus text and match the records.
	resp, err := http.Get("http://" + e.admin + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	byDecision := map[string]float64{}
	for _, m := range families["rwarden_evaluations_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "decision" {
				byDecision[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	want := map[string]float64{}
	for _, r := range evals {
		want[r.Decision]++
	}
	assert.Equal(t, want, byDecision)
	var failures float64
	for _, m := range families["rwarden_authentications_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "result" && l.GetValue() == "failure" {
				failures += m.GetCounter().GetValue()
			}
		}
	}
	assert.Equal(t, float64(authFail), failures)
	for _, name := range []string{"rwarden_evaluation_duration_seconds", "rwarden_policy_check_duration_seconds",
		"rwarden_workers", "rwarden_pool_wait_seconds", "rwarden_audit_write_seconds"} {
		assert.Contains(t, families, name)
	}
	// Sessions were forked from the template (issue 12's metrics).
	require.Contains(t, families, "rwarden_session_forks_total")
	assert.Positive(t, families["rwarden_session_forks_total"].GetMetric()[0].GetCounter().GetValue())
	require.Contains(t, families, "rwarden_templates")
	assert.GreaterOrEqual(t, families["rwarden_templates"].GetMetric()[0].GetGauge().GetValue(), 1.0)
	for _, name := range []string{"rwarden_session_fork_failures_total", "rwarden_template_starts_total",
		"rwarden_worker_starts_abandoned_total"} {
		assert.Contains(t, families, name)
	}
	health, err := http.Get("http://" + e.admin + "/healthz")
	require.NoError(t, err)
	health.Body.Close()
	assert.Equal(t, http.StatusOK, health.StatusCode)
}

// Issue 5, acceptance 4: with the audit file unwritable (its file system
// full), an evaluation is refused and the client told why, /healthz fails;
// once it is writable again, service resumes without a restart.
func TestE2EAuditFailClosed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs for the audit file")
	}
	dir, err := os.MkdirTemp("", "rwarden-audit-full-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	if err := unix.Mount("rwarden-audit-test", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	e := startAudit(t, filepath.Join(dir, "audit.jsonl"), "")
	require.Equal(t, "[1] 2\n", e.srv.eval(t, "1 + 1"))

	// Fill the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	var ans string
	for i := 0; i < 3; i++ { // fill what the writer had reserved, too
		ans = e.srv.eval(t, "2 + 2")
		if strings.HasPrefix(ans, "Error") {
			break
		}
	}
	assert.Contains(t, ans, "audit log cannot be written")
	resp, err := http.Get("http://" + e.admin + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	// Space again: service resumes, no restart.
	require.NoError(t, os.Remove(filler))
	require.Eventually(t, func() bool { return e.srv.eval(t, "3 + 3") == "[1] 6\n" }, 10*time.Second, 200*time.Millisecond)
	rep, err := audit.Verify([]string{e.audit})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "chain broken after the outage: %+v", rep.Break)
}
