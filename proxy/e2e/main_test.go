package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
)

// bin is the rwarden binary TestMain builds once for every test.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rwarden-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, file, _, _ := runtime.Caller(0)
	bin = filepath.Join(dir, "rwarden")
	out, err := exec.Command("go", "build", "-o", bin, filepath.Join(filepath.Dir(file), "..", "..", "cmd", "rwarden")).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building cmd/rwarden: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needR(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test with real R (skipped by -short)")
	}
	if _, err := os.Stat("/usr/lib/R/bin/exec/R"); err != nil {
		t.Skip("R is not installed (make deps installs it)")
	}
}

// cheapArgon keeps test logins fast; production uses auth.DefaultParams.
var cheapArgon = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// prepareState makes a state directory as the embedded defaults' first run
// does (dev PKI, shipped policies, users file with the demo user).
func prepareState(t *testing.T) (string, *setup.DefaultState) {
	t.Helper()
	state, err := os.MkdirTemp("", "rwarden-e2e-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, cheapArgon)
	require.NoError(t, err)
	return state, st
}

// server is a running rwarden binary.
type server struct {
	cmd   *exec.Cmd
	state string
	addr  string // the plaintext loopback listener, anonymous user guest
	log   *testutil.SyncBuffer
}

// serve writes a configuration with a plaintext loopback listener for the
// anonymous user guest plus extra YAML, starts rwarden on it and waits
// until it listens. It is stopped (SIGTERM) when the test ends.
func serve(t *testing.T, state, extra string) *server { return serveWith(t, state, "", extra) }

// serveWith is serve with more listeners (YAML list items).
func serveWith(t *testing.T, state, listeners, extra string) *server {
	t.Helper()
	port := freePort(t)
	cfgFile := filepath.Join(state, "rwarden.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:%d"
    plaintext: true
    anonymous_user: guest
%s%s`, state, port, listeners, extra)), 0o600))
	s := &server{cmd: exec.Command(bin, "serve", "--config", cfgFile), state: state,
		addr: fmt.Sprintf("127.0.0.1:%d", port), log: &testutil.SyncBuffer{}}
	stderr, err := s.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	listening := make(chan bool, 1)
	go func() {
		ok := false
		for sc.Scan() {
			s.log.WriteString(sc.Text() + "\n")
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
		require.True(t, ok, "rwarden did not start")
	case <-time.After(2 * time.Minute):
		t.Fatal("rwarden did not start listening")
	}
	return s
}

// eval sends one framed request without credentials (the anonymous guest).
func (s *server) eval(t *testing.T, code string) string {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(3*time.Minute)))
	require.NoError(t, framed.WriteRequest(c, nil, "UTF-8", []byte(code)))
	ans, err := framed.ReadResponse(c, 0)
	require.NoError(t, err)
	return string(ans)
}

// evalNoFail is eval for another goroutine: errors come back as the answer.
func (s *server) evalNoFail(code string) string {
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Minute))
	if err := framed.WriteRequest(c, nil, "UTF-8", []byte(code)); err != nil {
		return err.Error()
	}
	ans, err := framed.ReadResponse(c, 0)
	if err != nil {
		return err.Error()
	}
	return string(ans)
}

// tlsClientConfig trusts the CA in caFile and checks the name localhost.
func tlsClientConfig(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}
