package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// throttleServer is a server with a QAP1 listener that requires a login
// (alice has a password), a QAP1 listener for the anonymous guest, and
// the admin endpoint.
type throttleServer struct {
	srv              *server
	login, anon      string
	httpAnon         string // an HTTP listener of the anonymous guest
	admin, auditFile string
}

func startThrottle(t *testing.T, extra string) *throttleServer {
	t.Helper()
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	login, anon, admin, httpAnon := freePort(t), freePort(t), freePort(t), freePort(t)
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
  - address: "127.0.0.1:%d"
    protocol: http
    plaintext: true
    anonymous_user: guest
`, login, anon, httpAnon), fmt.Sprintf("admin: {address: \"127.0.0.1:%d\"}\n%s", admin, extra))
	return &throttleServer{srv: srv, login: fmt.Sprintf("127.0.0.1:%d", login), anon: fmt.Sprintf("127.0.0.1:%d", anon),
		httpAnon: fmt.Sprintf("127.0.0.1:%d", httpAnon),
		admin:    fmt.Sprintf("127.0.0.1:%d", admin), auditFile: filepath.Join(state, "audit.jsonl")}
}

// dialFrom opens a QAP1 connection from a given loopback source address
// and reads the server's identification.
func dialFrom(src, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	var id [32]byte
	if _, err := io.ReadFull(c, id[:]); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// qapCall sends one command and reads the answer's command word.
func qapCall(c net.Conn, cmd int32, parts ...[]byte) (int32, []byte, error) {
	if _, err := c.Write(qap1.Message(cmd, 0, parts...)); err != nil {
		return 0, nil, err
	}
	h, err := qap1.ReadHeader(c)
	if err != nil {
		return 0, nil, err
	}
	p, err := qap1.ReadPayload(c, h, 1<<24)
	return h.Cmd, p, err
}

// loginFrom logs in as user from src: the answer word and how long the
// login took (connection set-up excluded).
func loginFrom(src, addr, user, pass string) (int32, time.Duration, error) {
	c, err := dialFrom(src, addr)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	t0 := time.Now()
	cmd, _, err := qapCall(c, qap1.CmdLogin, qap1.StringParam(user+"\n"+pass))
	return cmd, time.Since(t0), err
}

// scrape reads the admin endpoint's metrics: name -> label value (of the
// given label, "" for unlabelled) -> value.
func scrape(t *testing.T, admin, name, label string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	for _, m := range families[name].GetMetric() {
		key := ""
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				key = l.GetValue()
			}
		}
		v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
		out[key] += v
	}
	return out
}

// stop ends the server (SIGTERM) and waits, so that its trail is complete
// (pending summaries are written at shutdown).
func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	_ = s.cmd.Wait()
}

func trail(t *testing.T, file string) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{file}, audit.Filter{}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}

// Issue 14, acceptance 1: while an attacker guesses alice's password from
// 50 rotating loopback addresses for 60 s, alice logs in with her password
// every time within 1 s (from the address she logged in from before), and
// the attacker gets at most 10 guesses checked against argon2. The refused
// guesses are audited in aggregate: per address a few records in full and
// summaries whose counts add up to every refusal.
func TestLoginThrottleRotatingAttacker(t *testing.T) {
	if testing.Short() {
		t.Skip("60 s attack (skipped by -short)")
	}
	e := startThrottle(t, "throttle: {audit: {window: 20s}}\n")

	// Alice's good history: one login from her address before the attack.
	cmd, _, err := loginFrom("127.0.0.1", e.login, "alice", alicePassword)
	require.NoError(t, err)
	require.Equal(t, int32(qap1.RespOK), cmd)

	const attack = 60 * time.Second
	stop := make(chan struct{})
	var attempts, refusedAnswers, errs, accepted atomic.Int64
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i += 10 {
				select {
				case <-stop:
					return
				default:
				}
				src := fmt.Sprintf("127.0.0.%d", 2+i%50)
				cmd, _, err := loginFrom(src, e.login, "alice", fmt.Sprintf("guess-%d", i))
				attempts.Add(1)
				switch {
				case err != nil:
					errs.Add(1)
				case cmd == qap1.RespOK:
					accepted.Add(1)
				default:
					refusedAnswers.Add(1)
				}
			}
		}()
	}
	var aliceOK, aliceSlow, aliceRefused int
	var slowest time.Duration
	deadline := time.Now().Add(attack)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		cmd, took, err := loginFrom("127.0.0.1", e.login, "alice", alicePassword)
		switch {
		case err != nil || cmd != qap1.RespOK:
			aliceRefused++
			t.Logf("alice refused: cmd %#x err %v", cmd, err)
		case took > time.Second:
			aliceSlow++
		default:
			aliceOK++
		}
		slowest = max(slowest, took)
	}
	close(stop)
	wg.Wait()

	checks := scrape(t, e.admin, "rwarden_password_checks_total", "result")
	limited := scrape(t, e.admin, "rwarden_logins_rate_limited_total", "limit")
	t.Logf("attacker: %d attempts, %d refused answers, %d errors; checked %v; limited %v; alice %d ok, slowest %s",
		attempts.Load(), refusedAnswers.Load(), errs.Load(), checks, limited, aliceOK, slowest)
	assert.Zero(t, accepted.Load(), "a guess was accepted")
	assert.Zero(t, aliceRefused, "alice must never be refused")
	assert.Zero(t, aliceSlow, "alice must log in within 1 s every time (slowest %s)", slowest)
	assert.GreaterOrEqual(t, aliceOK, 55)
	assert.Greater(t, attempts.Load(), int64(500), "the attacker must actually attack")
	assert.LessOrEqual(t, checks["failure"], 10.0, "guesses checked against argon2 in 60 s")
	assert.Positive(t, checks["failure"], "the burst of guesses is checked (the counter works)")
	assert.Positive(t, limited["user"], "the per-user guess bucket refused guesses")

	// The trail: every rate-limited refusal is either a full record or
	// counted in a summary; far fewer records than refusals.
	e.srv.stop(t)
	var full, aggregated, summaries, rlRecords int
	for _, r := range trail(t, e.auditFile) {
		if r.Event != audit.EventAuth || r.Status != audit.StatusRateLimited {
			continue
		}
		rlRecords++
		if n, ok := r.Detail["aggregated"]; ok {
			c, err := strconv.Atoi(n)
			require.NoError(t, err)
			aggregated += c
			summaries++
			assert.Contains(t, r.Detail["counts"], `"alice"=`)
		} else {
			full++
		}
	}
	var totalLimited float64
	for _, v := range limited {
		totalLimited += v
	}
	assert.Equal(t, int(totalLimited), full+aggregated, "every refusal recorded or counted")
	assert.LessOrEqual(t, full, 50*5*4, "at most full_records per address and window")
	assert.Positive(t, summaries)
	assert.Less(t, rlRecords*20, int(totalLimited), "aggregated: far fewer records than refusals")
	out, err := exec.Command(bin, "audit", "verify", e.auditFile).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

// qapFlooder sends denied code on one QAP1 connection after another from
// src until stop, counting requests and error answers.
func qapFlooder(src, addr string, stop <-chan struct{}, sent, errAnswers *atomic.Int64) {
	for {
		c, err := dialFrom(src, addr)
		if err != nil {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				continue
			}
		}
		for {
			select {
			case <-stop:
				c.Close()
				return
			default:
			}
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			cmd, _, err := qapCall(c, qap1.CmdEval, qap1.StringParam("system('id')"))
			if err != nil {
				break
			}
			sent.Add(1)
			if cmd != qap1.RespOK {
				errAnswers.Add(1)
			}
		}
		c.Close()
	}
}

// framedFlooder sends denied code, one framed connection per request
// (the protocol's way), from src until stop.
func framedFlooder(src, addr string, stop <-chan struct{}, sent, errAnswers *atomic.Int64) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		err = framed.WriteRequest(c, nil, "UTF-8", []byte("system('id')"))
		var ans []byte
		if err == nil {
			ans, err = framed.ReadResponse(c, 1<<20)
		}
		c.Close()
		if err == nil {
			sent.Add(1)
			if strings.HasPrefix(string(ans), "Error") {
				errAnswers.Add(1)
			}
		}
	}
}

// Issue 14, acceptance 3: a denial flood from 8 anonymous clients for 30 s
// grows the audit by at most 1 MiB and leaves another user's evaluations
// unaffected; the flood is refused with a text naming the limit, and every
// refusal is in the trail, in full or counted in a summary. QAP1 clients
// flood on their connections, framed clients by reconnecting, HTTP clients
// on keep-alive connections.
func TestDenialFloodBoundsAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s floods (skipped by -short)")
	}
	tests := []struct {
		protocol string
		flooder  func(src, addr string, stop <-chan struct{}, sent, errAnswers *atomic.Int64)
		target   func(e *throttleServer) string
	}{
		{"qap1", qapFlooder, func(e *throttleServer) string { return e.anon }},
		{"framed", framedFlooder, func(e *throttleServer) string { return e.srv.addr }},
		{"http", httpFlooder, func(e *throttleServer) string { return e.httpAnon }},
	}
	for _, tc := range tests {
		t.Run(tc.protocol, func(t *testing.T) {
			e := startThrottle(t, "pool: {warm: 2, max: 12, acquire_timeout: 2m}\nlimits: {users: {guest: {sessions: 16}}}\n")
			denialFlood(t, e, tc.target(e), tc.flooder)
		})
	}
}

func denialFlood(t *testing.T, e *throttleServer, target string, flooder func(src, addr string, stop <-chan struct{}, sent, errAnswers *atomic.Int64)) {
	alice, err := dialFrom("127.0.0.1", e.login)
	require.NoError(t, err)
	defer alice.Close()
	cmd, _, err := qapCall(alice, qap1.CmdLogin, qap1.StringParam("alice\n"+alicePassword))
	require.NoError(t, err)
	require.Equal(t, int32(qap1.RespOK), cmd)
	cmd, _, err = qapCall(alice, qap1.CmdEval, qap1.StringParam("1 + 1"))
	require.NoError(t, err)
	require.Equal(t, int32(qap1.RespOK), cmd)

	before, err := os.Stat(e.auditFile)
	require.NoError(t, err)
	const flood = 30 * time.Second
	stop := make(chan struct{})
	var sent, errAnswers atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flooder(fmt.Sprintf("127.0.0.%d", 60+i), target, stop, &sent, &errAnswers)
		}()
	}
	var aliceOK, aliceBad int
	deadline := time.Now().Add(flood)
	for i := 0; time.Now().Before(deadline); i++ {
		_ = alice.SetDeadline(time.Now().Add(time.Minute))
		cmd, _, err := qapCall(alice, qap1.CmdEval, qap1.StringParam(fmt.Sprintf("%d + 1", i)))
		if err == nil && cmd == qap1.RespOK {
			aliceOK++
		} else {
			aliceBad++
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	after, err := os.Stat(e.auditFile)
	require.NoError(t, err)
	grown := after.Size() - before.Size()
	limited := scrape(t, e.admin, "rwarden_requests_rate_limited_total", "limit")
	t.Logf("flood: %d requests (%d error answers), audit grew %d bytes; limited %v; alice %d ok, %d bad",
		sent.Load(), errAnswers.Load(), grown, limited, aliceOK, aliceBad)
	assert.Greater(t, sent.Load(), int64(1000), "the flood must actually flood")
	assert.Equal(t, sent.Load(), errAnswers.Load(), "every flood request is refused")
	assert.LessOrEqual(t, grown, int64(1<<20), "audit growth during the flood")
	assert.Positive(t, limited["denials"])
	assert.Zero(t, aliceBad, "another user's evaluations are unaffected")
	assert.Positive(t, aliceOK)

	// The refusals name the limit; the summaries count the rest.
	e.srv.stop(t)
	var fullRefusals, aggregated int
	for _, r := range trail(t, e.auditFile) {
		refusal := r.Event == audit.EventAccessDenied && r.Detail["command"] == "eval" ||
			r.Event == audit.EventAuth && r.Status == audit.StatusRateLimited
		if !refusal {
			continue
		}
		assert.Equal(t, "guest", r.User)
		if r.Event == audit.EventAccessDenied {
			assert.Contains(t, r.Error, "rate limit of denied requests reached for the anonymous user guest from 127.0.0.")
		} else {
			assert.Equal(t, "rate limited: request limit of denials", r.Error)
		}
		if n, ok := r.Detail["aggregated"]; ok {
			c, err := strconv.Atoi(n)
			require.NoError(t, err)
			aggregated += c
		} else {
			fullRefusals++
			if r.Event == audit.EventAccessDenied {
				assert.Equal(t, "system('id')", r.Code)
			}
		}
	}
	assert.Equal(t, int(limited["denials"]+limited["evaluations"]), fullRefusals+aggregated)
	out, err := exec.Command(bin, "audit", "verify", e.auditFile).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

// Issue 14, acceptance 3 (watermark): with audit.free_space_warn above the
// disk's free space /healthz says degraded and the metrics show it; with
// the critical watermark above it, /healthz fails.
func TestAuditDiskWatermark(t *testing.T) {
	tests := []struct {
		name, extra string
		status      int
		body        string
		state       float64
	}{
		{"warn", "audit: {free_space_warn: 1024TiB, free_space_critical: 0}\n", http.StatusOK, "degraded: audit disk:", 1},
		{"critical", "audit: {free_space_warn: 1024TiB, free_space_critical: 1024TiB}\n", http.StatusServiceUnavailable, "below the critical watermark 1.0PiB", 2},
		{"ok", "", http.StatusOK, "ok\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startThrottle(t, tc.extra)
			resp, err := http.Get("http://" + e.admin + "/healthz")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Contains(t, string(body), tc.body)
			assert.Equal(t, tc.state, scrape(t, e.admin, "rwarden_audit_disk_state", "")[""])
			assert.Positive(t, scrape(t, e.admin, "rwarden_audit_disk_free_bytes", "")[""])
		})
	}
}
