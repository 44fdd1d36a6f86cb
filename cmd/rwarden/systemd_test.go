package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notifySocket is a stand-in for systemd's notification socket: it collects
// every datagram the service sends.
type notifySocket struct {
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) (*notifySocket, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	n := &notifySocket{conn: conn}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return n, path
}

// count is how many messages so far hold the line want.
func (n *notifySocket) count(want string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, m := range n.msgs {
		for _, l := range strings.Split(m, "\n") {
			if l == want {
				c++
			}
		}
	}
	return c
}

func (n *notifySocket) all() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.msgs, " | ")
}

// TestServeNotifiesSystemd runs `rwarden serve` as a Type=notify unit with
// a watchdog would (NOTIFY_SOCKET, WATCHDOG_USEC): READY=1 comes once it
// listens and answers evaluations, WATCHDOG=1 follows at half the interval, and
// STOPPING=1 on SIGTERM, after which it exits cleanly.
func TestServeNotifiesSystemd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts rwarden with real R workers (skipped by -short)")
	}
	if _, err := os.Stat(filepath.Join(sandbox.DefaultRHome, "bin", "exec", "R")); err != nil {
		t.Skip("R is not installed (make deps installs it)")
	}
	bin := testutil.BuildRwarden(t)
	// Not t.TempDir: worker uids must be able to search the state
	// directory's parents to reach their scratch directories.
	state, err := os.MkdirTemp("", "rwarden-notify-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	require.NoError(t, setup.InstallPolicies(filepath.Join(state, "policies"), policies.FS))
	require.NoError(t, os.WriteFile(filepath.Join(state, "users.txt"), nil, 0o600))
	cfg := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:0"
    plaintext: true
    anonymous_user: guest
pool: {warm: 1, max: 2, acquire_timeout: 2m}
shutdown_grace: 5s
`, state)), 0o600))
	// acquire_timeout: READY=1 means listening (docs/operations.md), not
	// that a worker is warm: the evaluation below may have to wait for the
	// fork template and its first worker, which under a loaded CI took
	// more than the default 10 s ("no R worker available"). How fast
	// workers start is not this test's point; that a READY server answers
	// is.

	notify, sock := listenNotify(t)
	var stderr testutil.SyncBuffer
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=400000")
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})

	// (Failure messages are built after the wait: arguments to Eventually
	// are evaluated before it.)
	// Stop waiting if rwarden exits (Eventually runs this in a goroutine
	// of its own, so it reports rather than fails).
	var early atomic.Bool
	ready := func() bool {
		if notify.count("READY=1") == 1 {
			return true
		}
		select {
		case err := <-exited:
			exited <- err
			early.Store(true)
			return true
		default:
			return false
		}
	}
	require.True(t, assert.Eventually(t, ready, 2*time.Minute, 50*time.Millisecond))
	if early.Load() || notify.count("READY=1") != 1 {
		t.Fatalf("no READY=1; messages: %s; log:\n%s", notify.all(), stderr.String())
	}
	// Ready means serving: the listener is logged before READY and answers.
	m := regexp.MustCompile(`msg=listening address=(127\.0\.0\.1:\d+)`).FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())
	out, err := exec.Command(bin, "eval", "--addr", m[1], "-e", "1 + 1").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, "[1] 2\n", string(out))

	if !assert.Eventually(t, func() bool { return notify.count("WATCHDOG=1") >= 3 }, 10*time.Second, 20*time.Millisecond) {
		t.Fatalf("watchdog not fed; messages: %s", notify.all())
	}
	assert.Zero(t, notify.count("STOPPING=1"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, stderr.String())
	// The unit's TimeoutStopSec: what systemd itself would wait.
	case <-time.After(60 * time.Second):
		t.Fatalf("rwarden did not stop on SIGTERM; log:\n%s", stderr.String())
	}
	assert.Equal(t, 1, notify.count("STOPPING=1"), notify.all())
}
