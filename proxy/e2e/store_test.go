package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/rwarden/rwarden/proxy/setup"
)

// storeNode is one of several rwarden nodes on one shared store (or, from
// clusterNode.view, a cluster node as these helpers see it).
type storeNode struct {
	name  string
	srv   *server
	admin string
	audit string
}

func (n *storeNode) healthz(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + n.admin + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// metric is the value of an unlabelled metric ("" when absent).
func (n *storeNode) metric(name string) string {
	resp, err := http.Get("http://" + n.admin + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// rwardenCLI runs the binary; stdin may be empty.
func rwardenCLI(stdin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// initStore runs `rwarden store init` from st's shipped policies and users
// (policy version 1) and returns a copy of the policy directory to edit and
// push, and the CLI's cache directory.
func initStore(t *testing.T, dsnFile string, st *setup.DefaultState) (string, string) {
	t.Helper()
	cache := t.TempDir()
	out, err := rwardenCLI("", "store", "init", "--store", dsnFile, "--policies", st.Config.PoliciesDir,
		"--users", st.Config.UsersFile, "--cache-dir", cache)
	require.NoError(t, err, out)
	require.Contains(t, out, "store ready at policy version 1")
	edit := filepath.Join(t.TempDir(), "policies")
	require.NoError(t, exec.Command("cp", "-r", st.Config.PoliciesDir, edit).Run())
	return edit, cache
}

// storeThrottle keeps the limiters (tested elsewhere) out of what the
// store tests measure: they poll with logins and denied calls.
const storeThrottle = "throttle: {login: {failure_delay: 10ms, max_failure_delay: 10ms, user_guesses_per_minute: 10000, user_guess_burst: 10000}," +
	" requests: {denials_per_minute: 1000000, denial_burst: 1000000}}\n"

// startStoreNodes initialises the store from the shipped policies and
// starts n nodes on it; it returns the nodes and a copy of the policy
// directory to edit and push.
func startStoreNodes(t *testing.T, pg *pgtest.Cluster, dsnFile string, count int) ([]*storeNode, string, string) {
	t.Helper()
	_, st0 := prepareState(t)
	edit, cache := initStore(t, dsnFile, st0)

	nodes := make([]*storeNode, count)
	var wg sync.WaitGroup
	for i := range nodes {
		state, st := prepareState(t)
		// Each node's own files are replaced by the store's: prove it.
		require.NoError(t, os.RemoveAll(st.Config.PoliciesDir))
		tlsPort, adminPort := freePort(t), freePort(t)
		l := st.Config.Listeners[0]
		n := &storeNode{name: fmt.Sprintf("n%d", i+1),
			admin: fmt.Sprintf("127.0.0.1:%d", adminPort), audit: filepath.Join(state, "audit.jsonl")}
		nodes[i] = n
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.srv = serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s}
`, tlsPort, l.TLS.Cert, l.TLS.Key), fmt.Sprintf("pool: {warm: 1, max: 4, acquire_timeout: 2m}\nadmin: {address: %q}\nstore: {dsn_file: %s}\ncluster: {node: %s}\n"+
				storeThrottle+
				// Load from several clients as the anonymous guest.
				"limits: {users: {guest: {sessions: 32}}}\n",
				n.admin, dsnFile, n.name))
		}()
	}
	wg.Wait()
	for _, n := range nodes {
		require.Contains(t, n.healthz(t), "200 ok")
	}
	return nodes, edit, cache
}

// untilAll polls every node with probe until each answer satisfies ok, and
// returns how long the slowest took.
func untilAll(t *testing.T, nodes []*storeNode, limit time.Duration, probe func(*storeNode) string, ok func(string) bool) time.Duration {
	t.Helper()
	start := time.Now()
	var slowest atomic.Int64
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := ""
			for time.Since(start) < limit {
				if last = probe(n); ok(last) {
					d := int64(time.Since(start))
					for {
						cur := slowest.Load()
						if d <= cur || slowest.CompareAndSwap(cur, d) {
							break
						}
					}
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Errorf("node %s: not there after %s; last answer %q", n.name, limit, last)
		}()
	}
	wg.Wait()
	return time.Duration(slowest.Load())
}

// evalRecords lists a node's local eval records.
func evalRecords(t *testing.T, file string) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{file}, audit.Filter{Event: audit.EventEval}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}

// lastSeq is the seq of the newest record in a node's local trail.
func lastSeq(t *testing.T, file string) uint64 {
	t.Helper()
	var last uint64
	require.NoError(t, audit.ReadFiles([]string{file}, func(e audit.Entry) error {
		if e.Rec != nil {
			last = e.Rec.Seq
		}
		return nil
	}))
	return last
}

// Issue 19, acceptance 3: PostgreSQL stopped under load: evaluations go on
// under the last policy, /healthz says degraded, a change is refused with
// a clear error; PostgreSQL back: the nodes catch up (new changes apply,
// the audit records of the outage are shipped).
func TestE2EStoreOutage(t *testing.T) {
	needR(t)
	pg := pgtest.Start(t)
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(dsnFile, []byte(pg.DSN()), 0o600))
	nodes, edit, cache := startStoreNodes(t, pg, dsnFile, 3)

	// Load: two clients per node, evaluating until told to stop.
	stop := make(chan struct{})
	var answers, wrong atomic.Int64
	var wrongMu sync.Mutex
	var wrongs []string
	var wg sync.WaitGroup
	for _, n := range nodes {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					ans := n.srv.evalNoFail("1 + 1")
					answers.Add(1)
					if ans != "[1] 2\n" {
						wrong.Add(1)
						wrongMu.Lock()
						wrongs = append(wrongs, n.name+": "+ans)
						wrongMu.Unlock()
					}
				}
			}()
		}
	}
	stopLoad := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()
	require.Eventually(t, func() bool { return answers.Load() >= 6 }, time.Minute, 50*time.Millisecond)

	pg.Stop(t)
	for _, n := range nodes {
		require.Eventually(t, func() bool { return strings.HasPrefix(n.healthz(t), "200 degraded: store unreachable") },
			15*time.Second, 100*time.Millisecond, "node %s: %s", n.name, n.healthz(t))
		assert.Equal(t, "0", n.metric("rwarden_store_up"), "node %s", n.name)
	}
	during := answers.Load()
	require.NoError(t, os.WriteFile(filepath.Join(edit, "users", "guest.csv"), []byte("g, guest, role:restricted\np, guest, base::max, call, deny\n"), 0o600))
	out, err := rwardenCLI("", "policy", "push", "--store", dsnFile, "--policies", edit, "--cache-dir", cache)
	require.Error(t, err, "a change is refused while the store is down")
	assert.Contains(t, out, "change refused, nothing was changed: the store is unreachable")
	out, err = rwardenCLI("pw\n", "user", "add", "--store", dsnFile, "--argon-memory", "64", "--argon-time", "1", "dave")
	require.Error(t, err)
	assert.Contains(t, out, "change refused, nothing was changed: the store is unreachable")
	require.Eventually(t, func() bool { return answers.Load() >= during+6 }, time.Minute, 50*time.Millisecond,
		"evaluations go on while the store is down")
	for _, n := range nodes {
		assert.Contains(t, n.srv.eval(t, "max(1, 2)"), "[1] 2", "node %s: the last policy (version 1) stays in force", n.name)
	}

	pg.Restart(t)
	for _, n := range nodes {
		require.Eventually(t, func() bool { return n.healthz(t) == "200 ok\n" }, 15*time.Second, 100*time.Millisecond,
			"node %s: %s", n.name, n.healthz(t))
	}
	out, err = rwardenCLI("", "policy", "push", "--store", dsnFile, "--policies", edit, "--cache-dir", cache)
	require.NoError(t, err, out)
	require.Contains(t, out, "stored policy version 2")
	untilAll(t, nodes, 5*time.Second, func(n *storeNode) string { return n.srv.evalNoFail("max(1, 2)") },
		func(s string) bool { return strings.Contains(s, "not allowed by policy") })
	stopLoad()
	assert.Zero(t, wrong.Load(), "wrong answers: %v", wrongs)
	t.Logf("%d evaluations under load, %d during the outage", answers.Load(), answers.Load()-during)

	// Every node's trail, outage included, reaches the store and verifies.
	// (Its last records, the ends of the sessions, are written after the
	// answers: the heads are read again at each try.)
	var verified string
	heads := map[string]uint64{}
	assert.Eventually(t, func() bool {
		for _, n := range nodes {
			heads[n.name] = lastSeq(t, n.audit)
		}
		verified, err = rwardenCLI("", "audit", "verify", "--store", dsnFile)
		if err != nil {
			return false
		}
		for _, n := range nodes {
			if !strings.Contains(verified, fmt.Sprintf("node %s: OK: %d records, seq 1..%d;", n.name, heads[n.name], heads[n.name])) {
				return false
			}
		}
		return true
	}, 20*time.Second, 200*time.Millisecond, "local heads %v", heads)
	t.Logf("rwarden audit verify --store:\n%s", verified)
	if t.Failed() {
		for _, n := range nodes {
			for _, l := range strings.Split(n.srv.log.String(), "\n") {
				if strings.Contains(l, "ship") || strings.Contains(l, "store") {
					t.Logf("%s: %s", n.name, l)
				}
			}
		}
	}
	for _, n := range nodes {
		var v1, v2 int
		for _, r := range evalRecords(t, n.audit) {
			switch r.PolicyVersion {
			case 1:
				v1++
			case 2:
				v2++
			default:
				t.Errorf("node %s: eval record %d carries policy version %d", n.name, r.Seq, r.PolicyVersion)
			}
		}
		assert.Positive(t, v1, "node %s", n.name)
		assert.Positive(t, v2, "node %s", n.name)
	}
	// A node stopping ships its last records, server_stop included.
	require.NoError(t, nodes[0].srv.cmd.Process.Signal(syscall.SIGTERM))
	_ = nodes[0].srv.cmd.Wait()
	out, err = rwardenCLI("", "audit", "verify", "--store", dsnFile)
	require.NoError(t, err, out)
	assert.Contains(t, out, fmt.Sprintf("node n1: OK: %d records", lastSeq(t, nodes[0].audit)), "the whole trail of the stopped node")
	assert.NotContains(t, out, "node n1: chain stops", "its chain ends with server_stop")
	assert.Contains(t, out, "node n2: chain stops at seq", "a running node's chain is named as stopping without server_stop")
	out, err = rwardenCLI("", "audit", "query", "--store", dsnFile, "--user", "guest", "--decision", "denied")
	require.NoError(t, err, out)
	for _, n := range nodes {
		assert.Contains(t, out, n.name+" ", "central query lists every node's denials")
	}
}
