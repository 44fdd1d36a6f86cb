package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Acceptance 6: SIGTERM during a running evaluation: it finishes within the
// grace period, the server exits 0 and no R process remains.
func TestE2ESigtermLetsEvaluationFinish(t *testing.T) {
	needR(t)
	state, err := os.MkdirTemp("", "rwarden-sigterm-")
	require.NoError(t, err)
	defer os.RemoveAll(state)
	require.NoError(t, setup.InstallPolicies(filepath.Join(state, "policies"), policies.FS))
	// No password users, but the users file must exist.
	require.NoError(t, os.WriteFile(filepath.Join(state, "users.txt"), nil, 0o600))
	port := freePort(t)
	cfgFile := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:%d"
    plaintext: true
    anonymous_user: guest
pool: {warm: 1, max: 2}
shutdown_grace: 30s
`, state, port)), 0o600))

	cmd := exec.Command(bin, "serve", "--config", cfgFile)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "msg=listening") {
			break
		}
	}
	go func() {
		for sc.Scan() {
			_ = sc.Text()
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// The server's R workers, sampled until it has exited (see rWatch).
	workers := &rWatch{server: cmd.Process.Pid, seen: map[procID]bool{}}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := make(chan error, 1) // the exit, once the last sample is in
	go func() {
		for {
			workers.sample()
			select {
			case err := <-exited:
				workers.sample()
				waited <- err
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()

	answer := make(chan string, 1)
	go func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			answer <- err.Error()
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Minute))
		_ = framed.WriteRequest(c, nil, "UTF-8", []byte(`Sys.sleep(3); cat("finished\n")`))
		b, err := framed.ReadResponse(c, 0)
		if err != nil {
			answer <- err.Error()
			return
		}
		answer <- string(b)
	}()
	// Let the evaluation start, then ask the server to stop.
	require.Eventually(t, func() bool { return workers.running() >= 1 }, 30*time.Second, 20*time.Millisecond)
	time.Sleep(time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))

	select {
	case a := <-answer:
		assert.Equal(t, "finished\n", a, "the running evaluation was cut off")
	case <-time.After(time.Minute):
		t.Fatal("no answer")
	}
	select {
	case err := <-waited:
		assert.NoError(t, err, "rwarden did not exit 0; log:\n%s", log.String())
	case <-time.After(time.Minute):
		t.Fatal("rwarden did not exit")
	}
	require.NotEmpty(t, workers.seen, "no R worker of this server was ever seen")
	assert.Eventually(t, func() bool { return len(workers.alive()) == 0 }, 10*time.Second, 50*time.Millisecond,
		"R processes remain after shutdown")
	// New connections are refused once it stopped.
	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err)
}

// procID names one process for its whole life: a pid can be reused, its
// start time (in clock ticks since boot) with it cannot.
type procID struct {
	pid   int
	start uint64
}

// rWatch finds a server's R workers by parentage, not by path: every worker
// is a child of the server (a worker is rwarden's init re-executed as R; a
// forked session is cloned with CLONE_PARENT), while paths such as a
// worker's /proc/PID/cwd read differently from a chroot (the kernel prints
// a path outside the reader's root from the host's root) and R processes of
// other test binaries run at the same time. Once the server has exited its
// orphans would no longer be its children, so the test samples until the
// exit and then checks that every worker it saw is gone.
type rWatch struct {
	server int
	mu     sync.Mutex
	now    int             // R children of the server at the last sample
	seen   map[procID]bool // every R child of the server ever sampled
}

// sample records the server's R children as they are now.
func (w *rWatch) sample() {
	n := 0
	for _, p := range rProcs() {
		if p.ppid == w.server {
			n++
			w.mu.Lock()
			w.seen[p.procID] = true
			w.mu.Unlock()
		}
	}
	w.mu.Lock()
	w.now = n
	w.mu.Unlock()
}

func (w *rWatch) running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// alive lists the workers seen that still run (a zombie has ended).
func (w *rWatch) alive() []procID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []procID
	for _, p := range rProcs() {
		if w.seen[p.procID] {
			out = append(out, p.procID)
		}
	}
	return out
}

type rProc struct {
	procID
	ppid int
}

// rProcs lists the running (not zombie) processes whose executable is R's.
func rProcs() []rProc {
	var out []rProc
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if !strings.HasSuffix(exe, "/bin/exec/R") {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // ended meanwhile
		}
		// The command name (field 2) can hold spaces and parentheses: the
		// fields that follow start after its last ')'. From there: state,
		// ppid, ... and starttime, field 22 of the whole line.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 20 || f[0] == "Z" {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		start, err2 := strconv.ParseUint(f[19], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, rProc{procID{pid, start}, ppid})
	}
	return out
}

// SIGHUP reloads the server certificate: new handshakes get the new one,
// a connection opened before keeps working.
func TestE2ESighupReloadsCertificate(t *testing.T) {
	needR(t)
	state, err := os.MkdirTemp("", "rwarden-sighup-")
	require.NoError(t, err)
	defer os.RemoveAll(state)
	st, err := setup.PrepareDefaultState(state, policies.FS, cheapArgon)
	require.NoError(t, err)
	port := freePort(t)
	cfgFile := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s}
    anonymous_user: guest
pool: {warm: 1, max: 2}
`, state, port, st.PKI.ServerCertPath, st.PKI.ServerKeyPath)), 0o600))
	cmd := exec.Command(bin, "serve", "--config", cfgFile)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "msg=listening") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	leaf := func(c *tls.Conn) []byte { return c.ConnectionState().PeerCertificates[0].Raw }
	dial := func() *tls.Conn {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // compares certificates itself
		require.NoError(t, err)
		return c
	}
	before := dial()
	defer before.Close()
	oldCert := leaf(before)

	// A new certificate and key (of another CA) in place, then SIGHUP.
	other, err := setup.EnsureDevPKI(t.TempDir())
	require.NoError(t, err)
	for src, dst := range map[string]string{other.ServerCertPath: st.PKI.ServerCertPath, other.ServerKeyPath: st.PKI.ServerKeyPath} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dst, b, 0o600))
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool {
		c := dial()
		defer c.Close()
		return string(leaf(c)) != string(oldCert)
	}, 10*time.Second, 100*time.Millisecond, "new handshakes still get the old certificate")

	// The connection from before the reload is still served.
	require.NoError(t, before.SetDeadline(time.Now().Add(time.Minute)))
	require.NoError(t, framed.WriteRequest(before, nil, "UTF-8", []byte("1 + 1")))
	ans, err := framed.ReadResponse(before, 0)
	require.NoError(t, err)
	assert.Equal(t, "[1] 2\n", string(ans))
}
