package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/pgtest"
)

// refusedStart runs `rwarden serve` on a configuration that must not
// start, and returns what it said; it fails the test when the binary
// starts listening or exits 0.
func refusedStart(t *testing.T, state, extra string, limit time.Duration) (string, time.Duration) {
	t.Helper()
	cfgFile := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:%d"
    plaintext: true
    anonymous_user: guest
%s`, state, freePort(t), extra)), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, "serve", "--config", cfgFile).CombinedOutput()
	took := time.Since(start)
	require.NoError(t, ctx.Err(), "rwarden neither started nor refused within %s:\n%s", limit, out)
	require.Error(t, err, "rwarden must refuse to start:\n%s", out)
	assert.NotContains(t, string(out), "msg=listening")
	return string(out), took
}

// TestE2EStoreNodeSafety: the binary refuses to start on a DSN file that
// others may read, and while a live node holds its cluster.node name; a
// node killed with SIGKILL and restarted under its name starts at once and
// ships on, its chain in the store intact.
func TestE2EStoreNodeSafety(t *testing.T) {
	needR(t)
	pg := pgtest.Start(t)
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(dsnFile, []byte(pg.DSN()), 0o600))
	nodes, _, _ := startStoreNodes(t, pg, dsnFile, 1)
	n1 := nodes[0]
	assert.Contains(t, n1.srv.eval(t, "1 + 1"), "[1] 2")

	// A DSN file readable by others: refused, naming it, its mode and the fix.
	open := filepath.Join(t.TempDir(), "dsn-open")
	require.NoError(t, os.WriteFile(open, []byte(pg.DSN()), 0o600))
	require.NoError(t, os.Chmod(open, 0o644))
	state, _ := prepareState(t)
	out, _ := refusedStart(t, state, fmt.Sprintf("store: {dsn_file: %s}\ncluster: {node: n9}\n", open), 2*time.Minute)
	assert.Contains(t, out, "store DSN file "+open+" has mode 0644")
	assert.Contains(t, out, "chmod 600 "+open)
	assert.NotContains(t, out, pg.DSN())

	// A second node named n1 while n1 runs: refused after the wait for a
	// crashed holder, naming the name and what to do; n1 goes on serving
	// and shipping.
	state2, _ := prepareState(t)
	out, took := refusedStart(t, state2, fmt.Sprintf("store: {dsn_file: %s}\ncluster: {node: n1}\n", dsnFile), 2*time.Minute)
	t.Logf("second n1 refused after %s", took.Round(100*time.Millisecond))
	assert.Contains(t, out, `refusing to start: node name in use: node name "n1" is held in the store by another running rwarden`)
	assert.Contains(t, out, "cluster.node")
	assert.GreaterOrEqual(t, took, 30*time.Second, "a holder is waited for as after a crash")
	assert.Contains(t, n1.srv.eval(t, "2 + 2"), "[1] 4")
	assert.Equal(t, "200 ok\n", n1.healthz(t))

	// n1 killed (SIGKILL: its connections simply close) and restarted on
	// its state directory: it claims its name at once and ships on.
	require.NoError(t, n1.srv.cmd.Process.Signal(syscall.SIGKILL))
	_ = n1.srv.cmd.Wait()
	cfg, err := os.ReadFile(filepath.Join(n1.srv.state, "rwarden.yaml"))
	require.NoError(t, err)
	start := time.Now()
	restarted := serveWith(t, n1.srv.state, "", configTail(string(cfg)))
	t.Logf("n1 restarted and listening %s after the kill", time.Since(start).Round(10*time.Millisecond))
	assert.Less(t, time.Since(start), 25*time.Second, "no wait for the killed node's own session")
	assert.NotContains(t, restarted.log.String(), "node name not claimed")
	assert.Contains(t, restarted.eval(t, "3 + 3"), "[1] 6")
	head := uint64(0)
	require.Eventually(t, func() bool {
		head = lastSeq(t, n1.audit)
		out, err := rwardenCLI("", "audit", "verify", "--store", dsnFile)
		return err == nil && strings.Contains(out, fmt.Sprintf("node n1: OK: %d records, seq 1..%d;", head, head))
	}, 20*time.Second, 200*time.Millisecond, "the restarted node's chain, before and after the kill, is in the store")

	// n1 stopped and started afresh (a new state directory: a new trail
	// from seq 1) under its name: it serves, but ships nothing of a trail
	// that does not continue the store's, and says so.
	restarted.stop(t)
	shipped := lastSeq(t, n1.audit)
	fresh, _ := prepareState(t)
	again := serveWith(t, fresh, "", configTail(string(cfg)))
	assert.Contains(t, again.eval(t, "4 + 4"), "[1] 8")
	require.Eventually(t, func() bool {
		h := n1.healthz(t)
		return strings.HasPrefix(h, "200 degraded:") && strings.Contains(h, "audit trail of this node name is not this node's")
	}, 20*time.Second, 200*time.Millisecond, "healthz: %s", n1.healthz(t))
	out, err = rwardenCLI("", "audit", "verify", "--store", dsnFile)
	require.NoError(t, err, out)
	assert.Contains(t, out, fmt.Sprintf("node n1: OK: %d records, seq 1..%d;", shipped, shipped), "nothing of the fresh trail shipped")
}

// configTail is a configuration written by serveWith without its first
// lines (state_dir and the plaintext listener, which serveWith writes
// again on a new port).
func configTail(cfg string) string {
	lines := strings.SplitAfter(cfg, "\n")
	return strings.Join(lines[5:], "")
}
