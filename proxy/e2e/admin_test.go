package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// adminE2E is a running rwarden with a QAP1 listener for the anonymous
// user guest and the admin API on TLS; the client certificates of admin
// (role:admin) and alice (role:analyst) are issued by the dev CA.
type adminE2E struct {
	*fixture
	qap, admin          string
	adminCert, adminKey string
	aliceCert, aliceKey string
	usersFile           string
}

func startAdmin(t *testing.T) *adminE2E {
	t.Helper()
	needR(t)
	state, st := prepareState(t)
	qapPort, adminPort := freePort(t), freePort(t)
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
`, qapPort), fmt.Sprintf(`pool: {warm: 2, max: 8, acquire_timeout: 2m}
admin:
  address: "127.0.0.1:%d"
  tls: {cert: %s, key: %s, client_ca: %s}
`, adminPort, l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA))
	e := &adminE2E{fixture: &fixture{srv: srv, pki: st.PKI, audit: filepath.Join(state, "audit.jsonl")},
		qap: fmt.Sprintf("127.0.0.1:%d", qapPort), admin: fmt.Sprintf("127.0.0.1:%d", adminPort),
		usersFile: st.Config.UsersFile}
	var err error
	e.adminCert, e.adminKey, err = st.PKI.IssueClientCert("admin", t.TempDir())
	require.NoError(t, err)
	e.aliceCert, e.aliceKey, err = st.PKI.IssueClientCert("alice", t.TempDir())
	require.NoError(t, err)
	return e
}

// cli runs rwarden admin ARGS with the admin certificate.
func (e *adminE2E) cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"admin", "--address", e.admin, "--cert", e.adminCert, "--key", e.adminKey, "--ca", e.pki.CACertPath}, args...)
	out, err := exec.Command(bin, full...).CombinedOutput()
	return string(out), err
}

func (e *adminE2E) sessions(t *testing.T) []core.SessionInfo {
	t.Helper()
	out, err := e.cli(t, "sessions", "--json")
	require.NoError(t, err, out)
	var ss []core.SessionInfo
	require.NoError(t, json.Unmarshal([]byte(out), &ss), out)
	return ss
}

// get requests path from the admin listener with cert (none when "").
func (e *adminE2E) get(t *testing.T, cert, key, path string) (int, string) {
	t.Helper()
	c := e.tlsConfig(t, cert, key)
	c.ServerName = ""
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: c}}
	resp, err := hc.Get("https://" + e.admin + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func (e *adminE2E) adminRecords(t *testing.T) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventAdmin}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}

func findSession(ss []core.SessionInfo, protocol string) *core.SessionInfo {
	for i := range ss {
		if ss[i].Protocol == protocol && ss[i].User == "guest" {
			return &ss[i]
		}
	}
	return nil
}

// Issue 18, acceptance 3: the admin API and its CLI list sessions with
// their resources, end a session (idle, and in the middle of an
// evaluation, whose client is told why), list users, the policy status and
// the audit head; requests without a certificate or with a non-admin
// user's are refused; every request is in the audit trail.
func TestE2EAdminAPI(t *testing.T) {
	e := startAdmin(t)

	t.Run("healthz and metrics need no certificate", func(t *testing.T) {
		code, body := e.get(t, "", "", "/healthz")
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, "ok\n", body)
		code, body = e.get(t, "", "", "/metrics")
		assert.Equal(t, http.StatusOK, code)
		assert.Contains(t, body, "rwarden_sessions_open")
	})

	t.Run("refused without a certificate or as a non-admin", func(t *testing.T) {
		code, body := e.get(t, "", "", "/admin/v1/sessions")
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Contains(t, body, "needs a client certificate")
		code, body = e.get(t, e.aliceCert, e.aliceKey, "/admin/v1/sessions")
		assert.Equal(t, http.StatusForbidden, code)
		assert.Contains(t, body, "not an administrator")
		out, err := exec.Command(bin, "admin", "--address", e.admin, "--cert", e.aliceCert, "--key", e.aliceKey,
			"--ca", e.pki.CACertPath, "users").CombinedOutput()
		assert.Error(t, err)
		assert.Contains(t, string(out), "not an administrator")

		var refused []*audit.Record
		for _, r := range e.adminRecords(t) {
			if r.Status == audit.StatusFailure {
				refused = append(refused, r)
			}
		}
		require.Len(t, refused, 3)
		assert.Equal(t, "no client certificate or token", refused[0].Error)
		assert.Equal(t, "alice", refused[1].User)
		assert.Contains(t, refused[1].Error, "lacks role:admin")
		assert.Equal(t, "list_users", refused[2].Detail["action"])
	})

	t.Run("API tokens of admin users", func(t *testing.T) {
		token := func(user string) string {
			out, err := exec.Command(bin, "token", "create", "--users", e.usersFile, "--user", user, "--expires", "1d").Output()
			require.NoError(t, err)
			return strings.TrimSpace(string(out))
		}
		users := func(tok string) (string, error) {
			cmd := exec.Command(bin, "admin", "--address", e.admin, "--ca", e.pki.CACertPath, "users")
			cmd.Env = append(os.Environ(), "RWARDEN_ADMIN_TOKEN="+tok)
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		adminTok, aliceTok := token("admin"), token("alice")
		out, err := users(adminTok)
		require.NoError(t, err, out)
		assert.Contains(t, out, "role:admin")
		out, err = users(aliceTok)
		assert.Error(t, err)
		assert.Contains(t, out, "not an administrator")
		var ok, refused bool
		for _, r := range e.adminRecords(t) {
			if r.AuthMethod != "token" {
				continue
			}
			ok = ok || (r.User == "admin" && r.Status == audit.StatusSuccess && r.Detail["action"] == "list_users")
			refused = refused || (r.User == "alice" && r.Status == audit.StatusFailure)
		}
		assert.True(t, ok, "the admin's token request is audited")
		assert.True(t, refused, "alice's token refusal is audited")
	})

	q := dialQAP(t, "tcp", e.qap, nil)
	q.mustEval("x <- 42")
	q.mustEval("s <- 0; for (i in seq_len(3e6)) s <- s + i; s") // some CPU time to see
	assert.Equal(t, []float64{42}, q.mustEval("x").Reals)

	var idle *core.SessionInfo
	t.Run("list sessions", func(t *testing.T) {
		idle = findSession(e.sessions(t), "qap1")
		require.NotNil(t, idle, "the QAP1 session is listed")
		assert.Equal(t, e.qap, idle.Listener)
		assert.True(t, idle.Worker)
		assert.NotNil(t, idle.LastEval)
		assert.Greater(t, idle.AgeSeconds, 0.0)
		assert.Greater(t, idle.CPUSeconds, 0.0, "its R process has used CPU")
		assert.Greater(t, idle.MemoryBytes, int64(1<<20), "its R process holds memory")
		out, err := e.cli(t, "sessions")
		require.NoError(t, err, out)
		assert.Contains(t, out, idle.ID)
		assert.Contains(t, out, "qap1")
	})
	require.NotNil(t, idle)

	t.Run("users, policy, audit head", func(t *testing.T) {
		out, err := e.cli(t, "users")
		require.NoError(t, err, out)
		assert.Regexp(t, `(?m)^admin\s+role:admin\s+yes`, out)
		assert.Regexp(t, `(?m)^guest\s+\S*role:restricted`, out)
		out, err = e.cli(t, "policy", "--json")
		require.NoError(t, err, out)
		var st core.PolicyStatus
		require.NoError(t, json.Unmarshal([]byte(out), &st))
		assert.Equal(t, 1, st.Generation)
		assert.Contains(t, st.Roles, "role:admin")
		out, err = e.cli(t, "audit-head", "--json")
		require.NoError(t, err, out)
		var h core.AuditHead
		require.NoError(t, json.Unmarshal([]byte(out), &h))
		assert.Len(t, h.Hash, 64)
		// The head is this request's own record: the last in the file.
		var last *audit.Record
		_, err = audit.Query([]string{e.audit}, audit.Filter{}, func(r *audit.Record) error { last = r; return nil })
		require.NoError(t, err)
		assert.Equal(t, last.Seq, h.Seq)
		assert.Equal(t, last.Hash, h.Hash)
		assert.Equal(t, "audit_head", last.Detail["action"])
	})

	t.Run("end an idle session", func(t *testing.T) {
		out, err := e.cli(t, "kill", idle.ID, "--reason", "maintenance")
		require.NoError(t, err, out)
		assert.Contains(t, out, "ended "+idle.ID)
		_, cmd := q.eval("x")
		assert.NotEqual(t, int32(qap1.RespOK), cmd, "the ended session answers no more")
		require.Eventually(t, func() bool { return findSession(e.sessions(t), "qap1") == nil }, 10*time.Second, 100*time.Millisecond)
		var end *audit.Record
		_, err = audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventSessionEnd}, func(r *audit.Record) error {
			if r.Session == idle.ID {
				end = r
			}
			return nil
		})
		require.NoError(t, err)
		require.NotNil(t, end)
		assert.Equal(t, "ended by administrator admin: maintenance", end.Detail["reason"])
		out, err = e.cli(t, "kill", idle.ID)
		assert.Error(t, err)
		assert.Contains(t, out, "no such session")
	})

	t.Run("end a session in the middle of an evaluation", func(t *testing.T) {
		ans := make(chan string, 1)
		t0 := time.Now()
		go func() { ans <- e.srv.evalNoFail("Sys.sleep(60); 1") }()
		var busy *core.SessionInfo
		require.Eventually(t, func() bool {
			busy = findSession(e.sessions(t), "framed")
			return busy != nil && busy.Worker
		}, 60*time.Second, 200*time.Millisecond)
		out, err := e.cli(t, "kill", busy.ID, "--reason", "runaway job")
		require.NoError(t, err, out)
		select {
		case a := <-ans:
			assert.Equal(t, "Error: this session was ended by administrator admin: runaway job\n", a)
			assert.Less(t, time.Since(t0), 45*time.Second)
		case <-time.After(45 * time.Second):
			t.Fatal("the evaluation was not ended")
		}
		var eval *audit.Record
		_, err = audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventEval}, func(r *audit.Record) error {
			if r.Session == busy.ID {
				eval = r
			}
			return nil
		})
		require.NoError(t, err)
		require.NotNil(t, eval)
		assert.Equal(t, audit.DecisionKilled, eval.Decision)
	})

	t.Run("admin actions are audited", func(t *testing.T) {
		actions := map[string]int{}
		var ends []*audit.Record
		for _, r := range e.adminRecords(t) {
			if r.Status != audit.StatusSuccess {
				continue
			}
			assert.Equal(t, "admin", r.User)
			assert.Contains(t, []string{"certificate", "token"}, r.AuthMethod)
			assert.Equal(t, "admin", r.Protocol)
			actions[r.Detail["action"]]++
			if r.Detail["action"] == "end_session" {
				ends = append(ends, r)
			}
		}
		for _, a := range []string{"list_sessions", "list_users", "policy_status", "audit_head", "end_session"} {
			assert.Positive(t, actions[a], a)
		}
		require.Len(t, ends, 3)
		assert.Equal(t, idle.ID, ends[0].Detail["session"])
		assert.Equal(t, "guest", ends[0].Detail["session_user"])
		assert.Equal(t, "no such session", ends[1].Detail["result"])
		assert.True(t, strings.HasPrefix(ends[2].Detail["reason"], "ended by administrator admin: runaway job"))
		out, err := exec.Command(bin, "audit", "verify", e.audit).CombinedOutput()
		assert.NoError(t, err, string(out))
	})
}
