package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Acceptance 5: the same protections hold when rwarden itself runs as an
// unprivileged user. From a root test, the protection tests are run again
// by a copy of this test binary running as nobody: no uid drop, no
// namespaces, only Landlock, seccomp and rlimits.
func TestProtectionsHoldUnprivileged(t *testing.T) {
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("not root: this run already exercises the unprivileged path")
	}
	tests := "^(TestOrdinaryWork|TestSessionBehaviour|TestOSHolds|TestWorkersIsolatedFromEachOther|TestLimitsEnforced|TestScratchQuota|TestPoolNeverReusesWorkers|TestWorkerKilledMidEvaluation|TestForkedSessionConfinement|TestForkedSessionsIsolated|TestForkedSessionsRandomState|TestForkedSessionWallClockKill|TestTemplateSeccompFilter|TestScratchFiles|TestPlotCapture|TestSessionMounts|TestHomeMountQuota|TestLibraryMount)$"
	out := runAsNobody(t, "rwarden-unpriv-", tests)
	for _, name := range []string{"TestOrdinaryWork", "TestOSHolds", "TestWorkersIsolatedFromEachOther", "TestLimitsEnforced", "TestScratchQuota", "TestPoolNeverReusesWorkers",
		"TestForkedSessionConfinement", "TestForkedSessionsIsolated", "TestForkedSessionsRandomState", "TestForkedSessionWallClockKill",
		"TestTemplateSeccompFilter", "TestScratchFiles", "TestPlotCapture",
		"TestSessionMounts", "TestHomeMountQuota", "TestLibraryMount"} {
		assert.Contains(t, out, "--- PASS: "+name+" ", "%s did not run and pass as nobody", name)
	}
	// Unprivileged, stat() of a path that exists is not confined (no mount
	// namespace): only those subtests of TestForkedSessionsIsolated skip,
	// and the root template's filter (the kernel refuses nobody the same).
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "--- SKIP") && !strings.Contains(line, "TestTemplateSeccompFilter/template-root ") {
			assert.Contains(t, line, "TestForkedSessionsIsolated/stat_", "unexpected skip as nobody")
		}
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// holdPoolHelper runs in a child process: it starts a pool with warm
// workers, prints their pids and waits to be killed.
func holdPoolHelper() {
	root, _ := os.MkdirTemp("", "rwarden-hold-")
	_ = os.Chmod(root, 0o711)
	p, err := NewPool(Config{ScratchRoot: root, Warm: 2, Max: 2, MaxLimits: testLimits(), WarmLimits: testLimits()})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for p.Stats().Idle < 2 {
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	for _, w := range p.idle {
		fmt.Println("worker", w.pid, w.scratch)
	}
	p.mu.Unlock()
	fmt.Println("ready", root)
	select {}
}

func init() {
	if os.Getenv("RWARDEN_TEST_HELPER") == "hold-pool" {
		holdPoolHelper()
	}
}

// Workers die with rwarden, and the next rwarden on the same scratch root
// removes what the dead one left.
func TestWorkersDieWithRwarden(t *testing.T) {
	needR(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run", "^$")
	cmd.Env = append(os.Environ(), "RWARDEN_TEST_HELPER=hold-pool")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	var pids []int
	var root string
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "worker" {
			pid, err := strconv.Atoi(f[1])
			require.NoError(t, err)
			pids = append(pids, pid)
		}
		if len(f) == 2 && f[0] == "ready" {
			root = f[1]
			break
		}
	}
	deadline.Stop()
	require.Len(t, pids, 2, "helper did not report its workers")
	defer os.RemoveAll(root)

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	for _, pid := range pids {
		assert.Eventually(t, func() bool {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			return err != nil || strings.Contains(string(b), ") Z ")
		}, 10*time.Second, 20*time.Millisecond, "worker %d outlived rwarden", pid)
	}

	// A new pool on the same root clears the dead pool's scratch directories.
	p, err := NewPool(Config{ScratchRoot: root, Warm: 0, Max: 1, MaxLimits: testLimits()})
	require.NoError(t, err)
	defer p.Close()
	ents, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, e := range ents {
		assert.Equal(t, ".lock", e.Name(), "stale scratch entry left")
	}
	// And a second pool cannot share the root.
	_, err = NewPool(Config{ScratchRoot: root, Warm: 0, Max: 1, MaxLimits: testLimits()})
	assert.ErrorContains(t, err, "in use by another rwarden")
	_ = context.Background
}

// runAsNobody runs the tests matching the -test.run pattern tests in a
// copy of this test binary as nobody (uid and gid 65534, no groups), with
// a minimal environment plus env, and fails the test unless they pass; it
// returns their verbose output.
func runAsNobody(t *testing.T, prefix, tests string, env ...string) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	dir, err := os.MkdirTemp("", prefix)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	copyExe := filepath.Join(dir, "sandbox.test")
	copyFile(t, exe, copyExe, 0o755)
	cmd := exec.Command(copyExe, "-test.run", tests, "-test.count=1", "-test.v", "-test.timeout=10m")
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "TMPDIR=/tmp", "HOME=/tmp"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "tests as nobody failed:\n%s", out)
	return string(out)
}
