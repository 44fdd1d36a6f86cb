package e2e

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	require.Eventually(t, func() bool { return len(rProcesses(state)) >= 1 }, 30*time.Second, 20*time.Millisecond)
	time.Sleep(time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))

	select {
	case a := <-answer:
		assert.Equal(t, "finished\n", a, "the running evaluation was cut off")
	case <-time.After(time.Minute):
		t.Fatal("no answer")
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		assert.NoError(t, err, "rwarden did not exit 0; log:\n%s", log.String())
	case <-time.After(time.Minute):
		t.Fatal("rwarden did not exit")
	}
	assert.Eventually(t, func() bool { return len(rProcesses(state)) == 0 }, 10*time.Second, 50*time.Millisecond,
		"R processes remain after shutdown")
	// New connections are refused once it stopped.
	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err)
}

// rProcesses lists R processes working in a scratch directory under state.
func rProcesses(state string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		if strings.HasSuffix(exe, "/bin/exec/R") && strings.HasPrefix(cwd, state) {
			out = append(out, pid)
		}
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
