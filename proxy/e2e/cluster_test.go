package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
)

// The load balancer connects to the nodes from this address, the only one
// their proxy_protocol.from trusts; clients connect from 127.0.0.21-28
// (their own address each) and the direct, untrusted ones from 127.0.0.1.
const balancerSource = "127.0.0.10"

func clientSource(c int) string { return fmt.Sprintf("127.0.0.%d", 20+c) }

// clusterNode is one rwarden node of the cluster test: its own state
// directory and audit chain, the users file and policies shared (or, with
// a store in extra, users and policies from PostgreSQL).
type clusterNode struct {
	name      string
	state     string
	addr      string // framed, behind the balancer
	httpAddr  string // HTTP API, reached directly
	qapAddr   string // QAP1, proxy_protocol too
	adminPort int
	cfgFile   string
	cmd       *exec.Cmd
	log       *testutil.SyncBuffer
}

func newClusterNode(t *testing.T, i int, shared *setup.DefaultState, extra string) *clusterNode {
	t.Helper()
	state, err := os.MkdirTemp("", "rwarden-node-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	n := &clusterNode{name: fmt.Sprintf("node-%d", i), state: state,
		addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), httpAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		qapAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), adminPort: freePort(t),
		cfgFile: filepath.Join(state, "rwarden.yaml")}
	// Each node its own uid range: workers of two nodes never share a uid.
	first := 61000 + 100*i
	require.NoError(t, os.WriteFile(n.cfgFile, fmt.Appendf(nil, `state_dir: %s
cluster: {node: %s}
users_file: %s
policies_dir: %s
listeners:
  - address: "%s"
    plaintext: true
    anonymous_user: guest
    proxy_protocol: {from: [%s/32]}
  - address: "%s"
    protocol: http
    plaintext: true
    anonymous_user: guest
  - address: "%s"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
    proxy_protocol: {from: [%s/32]}
admin: {address: "127.0.0.1:%d"}
pool: {warm: 2, max: 12, acquire_timeout: 1m, uid_range: "%d-%d"}
limits: {users: {guest: {sessions: 20}}}
shutdown_grace: 1s
%s`, state, n.name, shared.Config.UsersFile, shared.Config.PoliciesDir, n.addr, balancerSource,
		n.httpAddr, n.qapAddr, balancerSource, n.adminPort, first, first+99, extra), 0o600))
	return n
}

// start runs the node and waits until it listens.
func (n *clusterNode) start(t *testing.T) {
	t.Helper()
	n.log = &testutil.SyncBuffer{}
	cmd := exec.Command(bin, "serve", "--config", n.cfgFile)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	n.cmd = cmd
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			n.log.WriteString(sc.Text() + "\n")
			if !ok && strings.Contains(sc.Text(), "msg=listening") {
				ok = true
				listening <- true
			}
		}
		if !ok {
			listening <- false
		}
	}()
	select {
	case ok := <-listening:
		require.True(t, ok, "%s did not start:\n%s", n.name, n.log.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not start listening", n.name)
	}
}

// view is the node as the store tests' helpers (untilAll, healthz,
// metric) see it.
func (n *clusterNode) view() *storeNode {
	return &storeNode{name: n.name, admin: fmt.Sprintf("127.0.0.1:%d", n.adminPort)}
}

// kill ends the node with SIGKILL, as a crash would.
func (n *clusterNode) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, n.cmd.Process.Signal(syscall.SIGKILL))
	_ = n.cmd.Wait()
}

func (n *clusterNode) auditFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(n.state, "audit.jsonl*"))
	require.NoError(t, err)
	return files
}

func (n *clusterNode) records(t *testing.T, f audit.Filter) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query(n.auditFiles(t), f, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}

// inFlight counts evaluations that started and have no outcome yet.
func (n *clusterNode) inFlight(t *testing.T) int {
	t.Helper()
	open := map[string]bool{}
	for _, r := range n.records(t, audit.Filter{}) {
		switch r.Event {
		case audit.EventEvalStart:
			open[r.Detail[audit.DetailEvalID]] = true
		case audit.EventEval:
			delete(open, r.Detail[audit.DetailEvalID])
		}
	}
	return len(open)
}

// startHAProxy runs deploy/haproxy/haproxy.cfg as shipped, its addresses
// from the environment, and waits until it accepts connections.
func startHAProxy(t *testing.T, nodes []*clusterNode) string {
	t.Helper()
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed (scripts/install-deps.sh installs it)")
	}
	_, file, _, _ := runtime.Caller(0)
	cfg := filepath.Join(filepath.Dir(file), "..", "..", "deploy", "haproxy", "haproxy.cfg")
	lb := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(haproxy, "-db", "-f", cfg)
	cmd.Env = append(os.Environ(), "RWARDEN_LB_BIND="+lb, "RWARDEN_LB_SOURCE="+balancerSource)
	for i, n := range nodes {
		cmd.Env = append(cmd.Env, fmt.Sprintf("RWARDEN_NODE%d=%s", i+1, n.addr),
			fmt.Sprintf("RWARDEN_NODE%d_ADMIN_PORT=%d", i+1, n.adminPort))
	}
	logs := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy log:\n%s", logs.String())
		}
	})
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", lb, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "haproxy did not listen:\n%s", logs.String())
	return lb
}

// evalFrom sends one framed request from the source address src to addr.
func evalFrom(src, addr, code string, prefix []byte) (string, error) {
	return evalAsFrom(src, addr, nil, code, prefix)
}

// evalAsFrom is evalFrom with credentials (nil: the anonymous user).
func evalAsFrom(src, addr string, creds *framed.Credentials, code string, prefix []byte) (string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.Write(prefix); err != nil {
		return "", err
	}
	if err := framed.WriteRequest(c, creds, "UTF-8", []byte(code)); err != nil {
		return "", err
	}
	ans, err := framed.ReadResponse(c, 0)
	return string(ans), err
}

// httpPost sends a JSON POST to a node's HTTP API as the anonymous guest.
func httpPost(t *testing.T, n *clusterNode, path, body string) (int, string) {
	t.Helper()
	resp, err := http.Post("http://"+n.httpAddr+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

var clusterCode = regexp.MustCompile(`^c <- (\d+); k <- (\d+);`)

// storeProbes are the calls the cluster test makes straight to each node
// to see a store change in force there (not the clients' evaluations).
var storeProbes = map[string]bool{"sum(1, 2)": true, `system("id")`: true, "max(1, 2)": true}

// appendPolicy adds a line to a user's policy file in the directory pushed.
func appendPolicy(t *testing.T, edit, user, line string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(edit, "users", user+".csv"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(line + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// Issue 19, acceptance 1 to 4 in one run: real PostgreSQL, HAProxy (TCP
// mode, send-proxy-v2, health checks on /healthz) and three nodes whose
// users and policies come from the shared store, 8 clients evaluating
// through the balancer all along. (1) A policy change and a new user made
// through the store decide the next evaluation on every node within 1 s,
// and each node's audit records carry the new policy version. (2) One node
// killed (SIGKILL) and restarted: no wrong answer, the killed node's
// in-flight evaluations are in its chain as interrupted, the clients that
// retry succeed. (3) PostgreSQL stopped: the clients go on under the last
// policy, every node says degraded on /healthz, changes are refused with a
// clear error; PostgreSQL back: a new change reaches every node. (4) Every
// record of every node carries the client's own address (from the PROXY
// header) and the node's name; a PROXY header from an address that is not
// the balancer is refused.
func TestE2EClusterBehindHAProxy(t *testing.T) {
	needR(t)
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy is not installed (scripts/install-deps.sh installs it)")
	}
	_, shared := prepareState(t)
	pg := pgtest.Start(t)
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(dsnFile, []byte(pg.DSN()), 0o600))
	edit, cache := initStore(t, dsnFile, shared)
	// The nodes' policies come from the store: the files are gone.
	require.NoError(t, os.RemoveAll(shared.Config.PoliciesDir))
	nodes := make([]*clusterNode, 3)
	views := make([]*storeNode, 3)
	byName := map[string]*clusterNode{}
	for i := range nodes {
		nodes[i] = newClusterNode(t, i+1, shared, fmt.Sprintf("store: {dsn_file: %s}\n", dsnFile)+storeThrottle)
		views[i] = nodes[i].view()
		byName[nodes[i].name] = nodes[i]
	}
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() { n.start(t) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, v := range views {
		require.Equal(t, "200 ok\n", v.healthz(t), "node %s", v.name)
	}
	lb := startHAProxy(t, nodes)
	// probe evaluates code straight on a node (from 127.0.0.1, no PROXY
	// header), errors as the answer.
	probe := func(creds *framed.Credentials, code string) func(*storeNode) string {
		return func(v *storeNode) string {
			ans, err := evalAsFrom("127.0.0.1", byName[v.name].addr, creds, code, nil)
			if err != nil {
				return err.Error()
			}
			return ans
		}
	}
	denied := func(s string) bool { return strings.Contains(s, "not allowed by policy") }
	push := func() (string, error) {
		return rwardenCLI("", "policy", "push", "--store", dsnFile, "--policies", edit, "--cache-dir", cache)
	}
	carol := &framed.Credentials{User: "carol", Password: []byte("carol-pw")}

	// 8 clients, each from its own address, evaluate k*7 for k = 1, 2, ...
	// and check every answer; a failed attempt (connection cut, node
	// down) is retried with the same k.
	const clients = 8
	var (
		stop          atomic.Bool
		wrong         atomic.Int64
		done          [clients + 1]atomic.Int64 // successful evaluations per client
		mu            sync.Mutex
		failed        = map[string]bool{} // "c/k" of attempts that did not get an answer
		wrongAnswers  []string
		retriesNeeded int
	)
	var cwg sync.WaitGroup
	for c := 1; c <= clients; c++ {
		cwg.Go(func() {
			for k := 1; !stop.Load(); k++ {
				code := fmt.Sprintf("c <- %d; k <- %d; Sys.sleep(0.4); k * 7", c, k)
				want := fmt.Sprintf("[1] %d\n", k*7)
				for try := 0; ; try++ {
					ans, err := evalFrom(clientSource(c), lb, code, nil)
					if err == nil && ans == want {
						done[c].Add(1)
						break
					}
					if err == nil && strings.HasPrefix(ans, "[1]") {
						wrong.Add(1)
						mu.Lock()
						wrongAnswers = append(wrongAnswers, fmt.Sprintf("client %d k=%d: %q", c, k, ans))
						mu.Unlock()
						break
					}
					mu.Lock()
					failed[fmt.Sprintf("%d/%d", c, k)] = true
					retriesNeeded++
					mu.Unlock()
					if try >= 100 || stop.Load() {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	defer func() {
		stop.Store(true)
		cwg.Wait()
	}()

	// Let every client answer a few times, then kill the node that has
	// evaluations running (the busiest one), while they run.
	require.Eventually(t, func() bool {
		for c := 1; c <= clients; c++ {
			if done[c].Load() < 3 {
				return false
			}
		}
		return true
	}, 45*time.Second, 50*time.Millisecond, "the clients did not get going")

	// (1) While the clients evaluate: guest may no longer call sum()
	// (version 2), pushed from the CLI to the store ...
	for _, v := range views {
		require.Equal(t, "[1] 3\n", probe(nil, "sum(1, 2)")(v), "node %s: sum allowed under version 1", v.name)
	}
	appendPolicy(t, edit, "guest", "p, guest, base::sum, call, deny")
	out, err := push()
	require.NoError(t, err, out)
	require.Contains(t, out, "stored policy version 2")
	took := untilAll(t, views, 5*time.Second, probe(nil, "sum(1, 2)"), denied)
	t.Logf("policy change in force on all nodes after %s", took)
	assert.LessOrEqual(t, took, time.Second, "a policy change decides the next evaluation on every node within 1s")
	// ... and a new user, carol: a policy (version 3), then a password
	// (version 4). A denied call answers without running R: the time
	// measured is the change's, not a worker's start.
	appendPolicy(t, edit, "carol", "g, carol, role:restricted")
	out, err = push()
	require.NoError(t, err, out)
	require.Contains(t, out, "stored policy version 3")
	out, err = rwardenCLI("carol-pw\n", "user", "add", "--store", dsnFile, "--argon-memory", "64", "--argon-time", "1", "carol")
	require.NoError(t, err, out)
	require.Contains(t, out, "stored policy version 4")
	took = untilAll(t, views, 5*time.Second, probe(carol, `system("id")`), denied)
	t.Logf("new user accepted on all nodes after %s", took)
	assert.LessOrEqual(t, took, time.Second, "a user added decides the next login on every node within 1s")
	// Through the balancer too, whichever node answers.
	for range 3 {
		ans, err := evalAsFrom(clientSource(0), lb, carol, "6 * 7", nil)
		require.NoError(t, err)
		assert.Equal(t, "[1] 42\n", ans, "carol logs in through HAProxy")
	}
	for _, n := range nodes {
		assert.Equal(t, "4", n.view().metric("rwarden_policy_version"), "node %s", n.name)
		var sawV2, sawV4 bool
		for _, r := range n.records(t, audit.Filter{Event: audit.EventEval}) {
			if r.User == "guest" && r.Decision == audit.DecisionDenied && r.Code == "sum(1, 2)" {
				assert.Equal(t, int64(2), r.PolicyVersion, "node %s", n.name)
				sawV2 = true
			}
			if r.User == "carol" && r.Decision == audit.DecisionDenied {
				assert.Equal(t, int64(4), r.PolicyVersion, "node %s: carol's evaluation was decided by version 4", n.name)
				sawV4 = true
			}
			if r.User == "guest" && r.Decision == audit.DecisionAllowed && r.Code == "sum(1, 2)" {
				assert.Equal(t, int64(1), r.PolicyVersion, "node %s: sum was allowed only under version 1", n.name)
			}
		}
		assert.True(t, sawV2, "node %s: the denial recorded with policy version 2", n.name)
		assert.True(t, sawV4, "node %s: carol's evaluation recorded with policy version 4", n.name)
	}
	var victim *clusterNode
	best := -1
	for _, n := range nodes {
		if e := len(n.records(t, audit.Filter{Event: audit.EventEval})); e > best {
			victim, best = n, e
		}
	}
	// An HTTP session on the node about to be killed: its id names the node.
	code, body := httpPost(t, victim, "/v1/sessions", "")
	require.Equal(t, http.StatusCreated, code, body)
	var sess struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &sess))
	require.True(t, strings.HasPrefix(sess.ID, victim.name+"."), "session id %q names its node", sess.ID)
	code, body = httpPost(t, victim, "/v1/sessions/"+sess.ID+"/eval", `{"code": "y <- 5"}`)
	require.Equal(t, http.StatusOK, code, body)
	other := nodes[0]
	if other == victim {
		other = nodes[1]
	}

	require.Eventually(t, func() bool { return victim.inFlight(t) > 0 }, 10*time.Second, 5*time.Millisecond)
	victim.kill(t)
	killedAt := time.Now()
	before := [clients + 1]int64{}
	for c := 1; c <= clients; c++ {
		before[c] = done[c].Load()
	}
	// While its node is gone, the session is asked for on another node:
	// a clear answer naming the node, not a 500 or a hang.
	code, body = httpPost(t, other, "/v1/sessions/"+sess.ID+"/eval", `{"code": "y"}`)
	assert.Equal(t, http.StatusMisdirectedRequest, code, body)
	assert.Contains(t, body, `"error":"wrong_node"`)
	assert.Contains(t, body, "session belongs to node "+victim.name+", but this request reached node "+other.name)
	time.Sleep(time.Until(killedAt.Add(1500 * time.Millisecond)))
	victim.start(t)
	// Back, the node no longer has it (lost with the process).
	code, body = httpPost(t, victim, "/v1/sessions/"+sess.ID+"/eval", `{"code": "y"}`)
	assert.Equal(t, http.StatusNotFound, code, body)
	assert.Contains(t, body, "no such session on node "+victim.name)
	restarts := len(victim.records(t, audit.Filter{Event: audit.EventServerStart}))
	require.Equal(t, 2, restarts)

	// Every client goes on (those of the killed node retried on another
	// node), and the restarted node takes evaluations again once HAProxy's
	// health check has seen it up.
	servedAfterRestart := func() bool {
		started := false
		for _, r := range victim.records(t, audit.Filter{}) {
			if r.Event == audit.EventServerStart {
				started = r.Seq > 1
			}
			if started && r.Event == audit.EventEval && r.Decision == audit.DecisionAllowed {
				return true
			}
		}
		return false
	}
	require.Eventually(t, func() bool {
		for c := 1; c <= clients; c++ {
			if done[c].Load() < before[c]+3 {
				return false
			}
		}
		return servedAfterRestart()
	}, 40*time.Second, 50*time.Millisecond, "clients did not recover after the node was restarted")

	// (3) PostgreSQL stopped while the clients evaluate: every node says
	// degraded, changes are refused, the clients go on under version 4.
	pg.Stop(t)
	for _, v := range views {
		require.Eventually(t, func() bool { return strings.HasPrefix(v.healthz(t), "200 degraded: store unreachable") },
			15*time.Second, 100*time.Millisecond, "node %s: %s", v.name, v.healthz(t))
		assert.Equal(t, "0", v.metric("rwarden_store_up"), "node %s", v.name)
	}
	for c := 1; c <= clients; c++ {
		before[c] = done[c].Load()
	}
	appendPolicy(t, edit, "guest", "p, guest, base::max, call, deny")
	out, err = push()
	require.Error(t, err, "a change is refused while the store is down")
	assert.Contains(t, out, "change refused, nothing was changed: the store is unreachable")
	out, err = rwardenCLI("pw\n", "user", "add", "--store", dsnFile, "--argon-memory", "64", "--argon-time", "1", "dave")
	require.Error(t, err)
	assert.Contains(t, out, "change refused, nothing was changed: the store is unreachable")
	require.Eventually(t, func() bool {
		for c := 1; c <= clients; c++ {
			if done[c].Load() < before[c]+2 {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "evaluations through HAProxy go on while the store is down")
	for _, v := range views {
		assert.Equal(t, "[1] 2\n", probe(nil, "max(1, 2)")(v), "node %s: the refused change is not in force", v.name)
		assert.True(t, denied(probe(nil, "sum(1, 2)")(v)), "node %s: the last policy (version 4) stays in force", v.name)
	}
	// PostgreSQL back: the nodes reconnect and the change, pushed again,
	// reaches all of them.
	pg.Restart(t)
	for _, v := range views {
		require.Eventually(t, func() bool { return v.healthz(t) == "200 ok\n" }, 15*time.Second, 100*time.Millisecond,
			"node %s: %s", v.name, v.healthz(t))
	}
	out, err = push()
	require.NoError(t, err, out)
	require.Contains(t, out, "stored policy version 5")
	took = untilAll(t, views, 5*time.Second, probe(nil, "max(1, 2)"), denied)
	t.Logf("after the outage, a change in force on all nodes after %s", took)
	for _, v := range views {
		assert.Equal(t, "5", v.metric("rwarden_policy_version"), "node %s", v.name)
	}
	stop.Store(true)
	cwg.Wait()
	t.Logf("killed %s at %s; %d attempts retried", victim.name, killedAt.Format(time.TimeOnly), retriesNeeded)

	assert.Zero(t, wrong.Load(), "wrong answers: %v", wrongAnswers)

	// The killed node's chain: intact, its in-flight evaluations listed
	// as interrupted, each one an attempt its client saw fail (and then
	// retried), each from that client's own address.
	verify := exec.Command(bin, append([]string{"audit", "verify"}, victim.auditFiles(t)...)...)
	vout, err := verify.CombinedOutput()
	require.NoError(t, err, "audit verify:\n%s", vout)
	assert.Contains(t, string(vout), "OK:")
	assert.Contains(t, string(vout), "evaluation(s) interrupted")
	assert.Contains(t, string(vout), "node(s): "+victim.name+"\n")

	query := exec.Command(bin, append([]string{"audit", "query", "--decision", "interrupted", "--json"}, victim.auditFiles(t)...)...)
	var stdout, stderr bytes.Buffer
	query.Stdout, query.Stderr = &stdout, &stderr
	require.NoError(t, query.Run(), stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.NotEmpty(t, lines[0], "no interrupted evaluation in %s's chain", victim.name)
	for _, line := range lines {
		r, err := audit.ParseRecord([]byte(line))
		require.NoError(t, err)
		assert.Equal(t, audit.EventEvalStart, r.Event, "an evaluation cut by the kill has no outcome")
		assert.Equal(t, victim.name, r.Node)
		m := clusterCode.FindStringSubmatch(r.Code)
		require.NotNil(t, m, "code %q", r.Code)
		assert.True(t, failed[m[1]+"/"+m[2]], "interrupted evaluation c=%s k=%s: its client saw it fail", m[1], m[2])
		c, _ := strconv.Atoi(m[1])
		host, _, _ := net.SplitHostPort(r.Remote)
		assert.Equal(t, clientSource(c), host, "the client's own address (PROXY v2)")
	}
	tableQuery := exec.Command(bin, append([]string{"audit", "query", "--decision", "interrupted"}, victim.auditFiles(t)...)...)
	tab, err := tableQuery.CombinedOutput()
	require.NoError(t, err, "%s", tab)
	assert.Contains(t, string(tab), victim.name)
	assert.Contains(t, string(tab), "interrupted")

	// The trails of all nodes queried together: --node selects one node's.
	var all []string
	for _, n := range nodes {
		all = append(all, n.auditFiles(t)...)
	}
	byNode := exec.Command(bin, append([]string{"audit", "query", "--json", "--node", victim.name}, all...)...)
	vout, err = byNode.Output()
	require.NoError(t, err)
	selected := strings.Split(strings.TrimSpace(string(vout)), "\n")
	assert.Len(t, selected, len(victim.records(t, audit.Filter{})))
	for _, line := range selected {
		r, err := audit.ParseRecord([]byte(line))
		require.NoError(t, err)
		assert.Equal(t, victim.name, r.Node)
	}

	// Every evaluation record of every node: its node's name and its
	// client's address, never the balancer's.
	total := 0
	for _, n := range nodes {
		evals := 0
		for _, r := range n.records(t, audit.Filter{}) {
			assert.Equal(t, n.name, r.Node, "%s seq %d", n.name, r.Seq)
			if r.Event != audit.EventEval && r.Event != audit.EventEvalStart || r.Protocol != "framed" {
				continue // the clients' evaluations (not the HTTP session's, made directly)
			}
			host, _, err := net.SplitHostPort(r.Remote)
			require.NoError(t, err)
			if r.Event == audit.EventEval && r.Code == "max(1, 2)" && r.Decision == audit.DecisionDenied {
				assert.Equal(t, int64(5), r.PolicyVersion, "%s seq %d", n.name, r.Seq)
			}
			if storeProbes[r.Code] {
				assert.Equal(t, "127.0.0.1", host, "%s seq %d: a probe made straight to the node", n.name, r.Seq)
				continue
			}
			if r.User == "carol" {
				assert.Equal(t, clientSource(0), host, "%s seq %d", n.name, r.Seq)
				continue
			}
			m := clusterCode.FindStringSubmatch(r.Code)
			require.NotNil(t, m, "code %q", r.Code)
			c, _ := strconv.Atoi(m[1])
			assert.Equal(t, clientSource(c), host, "%s seq %d", n.name, r.Seq)
			if r.Event == audit.EventEval {
				evals++
			}
		}
		t.Logf("%s: %d evaluations", n.name, evals)
		total += evals
	}
	assert.Positive(t, total)

	// Straight to a node, not through the balancer: without a header the
	// connection's own address is recorded; with one (claiming to be
	// 192.0.2.99) the connection is refused and nothing is recorded.
	direct := nodes[0]
	if direct == victim {
		direct = nodes[1]
	}
	ans, err := evalFrom("127.0.0.1", direct.addr, "6 * 7", nil)
	require.NoError(t, err)
	assert.Equal(t, "[1] 42\n", ans)
	h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
		SourceAddr:      &net.TCPAddr{IP: net.ParseIP("192.0.2.99"), Port: 4242},
		DestinationAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 9}}
	forged, err := h.Format()
	require.NoError(t, err)
	ans, err = evalFrom("127.0.0.1", direct.addr, "6 * 7", forged)
	require.NoError(t, err)
	assert.Equal(t, "Error: PROXY protocol header refused: the connection does not come from a configured load balancer\n", ans)
	require.Eventually(t, func() bool {
		return strings.Contains(direct.log.String(), "connection refused: PROXY protocol header refused")
	}, 5*time.Second, 20*time.Millisecond)
	var sawDirect bool
	for _, r := range direct.records(t, audit.Filter{}) {
		assert.NotContains(t, r.Remote, "192.0.2.99", "a forged address never reaches the audit")
		if r.Event == audit.EventEval && r.Code == "6 * 7" {
			host, _, _ := net.SplitHostPort(r.Remote)
			assert.Equal(t, "127.0.0.1", host)
			sawDirect = true
		}
	}
	assert.True(t, sawDirect)

	// QAP1, where the server speaks first: from the balancer's address
	// with a PROXY v2 header, the session is recorded under the address
	// the header names; from another address without one, the server's
	// identification comes at once (nothing is read before QAP1 reads).
	qapFrom := func(src string, prefix []byte) *qapClient {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", direct.qapAddr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
		_, err = c.Write(prefix)
		require.NoError(t, err)
		q := &qapClient{t: t, conn: c}
		start := time.Now()
		_, err = io.ReadFull(c, q.id[:])
		require.NoError(t, err)
		assert.Less(t, time.Since(start), 2*time.Second, "the identification is not held back")
		require.Equal(t, "Rsrv", string(q.id[:4]))
		return q
	}
	h.SourceAddr = &net.TCPAddr{IP: net.ParseIP("192.0.2.50"), Port: 5000}
	viaBalancer, err := h.Format()
	require.NoError(t, err)
	q := qapFrom(balancerSource, viaBalancer)
	assert.Equal(t, []float64{42}, q.mustEval("6 * 7 + 0").Reals)
	q = qapFrom("127.0.0.1", nil)
	assert.Equal(t, []float64{43}, q.mustEval("6 * 7 + 1").Reals)
	remotes := map[string]string{}
	for _, r := range direct.records(t, audit.Filter{Event: audit.EventEval}) {
		if r.Protocol == "qap1" {
			remotes[r.Code], _, _ = net.SplitHostPort(r.Remote)
		}
	}
	assert.Equal(t, map[string]string{"6 * 7 + 0": "192.0.2.50", "6 * 7 + 1": "127.0.0.1"}, remotes)
}

// The request limits of an anonymous user count per source address; behind
// a balancer that is the address its PROXY header names, so one client
// using up its evaluations does not refuse another client that comes
// through the same balancer.
func TestE2EProxyProtocolRateLimitsPerClient(t *testing.T) {
	needR(t)
	state, _ := prepareState(t)
	port := freePort(t)
	serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    plaintext: true
    anonymous_user: guest
    proxy_protocol: {from: [%s/32]}
`, port, balancerSource), "pool: {warm: 1, max: 4}\nthrottle: {requests: {evaluations_per_minute: 1, evaluation_burst: 2}}\n")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	via := func(client string) []byte {
		h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
			SourceAddr:      &net.TCPAddr{IP: net.ParseIP(client), Port: 40000},
			DestinationAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: port}}
		b, err := h.Format()
		require.NoError(t, err)
		return b
	}
	for i := range 2 {
		ans, err := evalFrom(balancerSource, addr, fmt.Sprintf("%d + 1", i), via("192.0.2.1"))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("[1] %d\n", i+1), ans)
	}
	ans, err := evalFrom(balancerSource, addr, "3 + 1", via("192.0.2.1"))
	if err == nil {
		assert.Contains(t, ans, "rate limit", "the third evaluation of 192.0.2.1 is over its burst")
	}
	ans, err = evalFrom(balancerSource, addr, "40 + 2", via("192.0.2.2"))
	require.NoError(t, err)
	assert.Equal(t, "[1] 42\n", ans, "another client behind the same balancer is not limited")

	var limited, served bool
	_, err = audit.Query([]string{filepath.Join(state, "audit.jsonl")}, audit.Filter{}, func(r *audit.Record) error {
		host, _, _ := net.SplitHostPort(r.Remote)
		if r.Status == audit.StatusRateLimited || r.Event == audit.EventAccessDenied {
			assert.Equal(t, "192.0.2.1", host, "seq %d: %s", r.Seq, r.Error)
			limited = true
		}
		if r.Event == audit.EventEval && r.Code == "40 + 2" {
			assert.Equal(t, "192.0.2.2", host)
			served = true
		}
		return nil
	})
	require.NoError(t, err)
	assert.True(t, limited, "the refusal is recorded under the client's address")
	assert.True(t, served)
}
