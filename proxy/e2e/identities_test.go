package e2e

import (
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
)

// fixture is a running server and what tests read about it.
type fixture struct {
	srv      *server
	tlsAddr  string
	unixPath string
	pki      *setup.DevPKI
	audit    string
}

// lastEval returns the newest eval record of the server's audit trail.
func (e *fixture) lastEval(t *testing.T) *audit.Record {
	t.Helper()
	var last *audit.Record
	_, err := audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventEval}, func(r *audit.Record) error {
		last = r
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, last, "no eval record")
	return last
}

func (e *fixture) tlsConfig(t *testing.T, certFile, keyFile string) *tls.Config {
	t.Helper()
	c := tlsClientConfig(t, e.pki.CACertPath)
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		require.NoError(t, err)
		c.Certificates = []tls.Certificate{cert}
	}
	return c
}

func (e *fixture) evalTLS(t *testing.T, cfg *tls.Config, creds *framed.Credentials, code string) string {
	t.Helper()
	c, err := tls.Dial("tcp", e.tlsAddr, cfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(3*time.Minute)))
	require.NoError(t, framed.WriteRequest(c, creds, "UTF-8", []byte(code)))
	ans, err := framed.ReadResponse(c, 0)
	require.NoError(t, err)
	return string(ans)
}

// Acceptance 2: identities over TLS (password, certificate) and a unix
// socket (peer credentials) map to the right user and policy; bad ones are
// refused; a plaintext listener off loopback refuses to start.
func TestE2EIdentities(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	// The local user running the tests gets a policy, for peer credentials.
	me, err := user.Current()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(st.Config.PoliciesDir, "users", me.Username+".csv"),
		[]byte("g, "+me.Username+", role:analyst\n"), 0o644))
	tlsPort := freePort(t)
	sock := filepath.Join(state, "rwarden.sock")
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s, client_ca: %s, client_auth: request}
  - address: "unix:%s"
    plaintext: true
    unix_mode: "0666"
`, tlsPort, l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA, sock), "pool: {warm: 2, max: 8, acquire_timeout: 2m}\n")
	e := &fixture{srv: srv, tlsAddr: fmt.Sprintf("127.0.0.1:%d", tlsPort), unixPath: sock, pki: st.PKI, audit: filepath.Join(state, "audit.jsonl")}
	fileCode := `writeLines("x", "f.txt"); readLines("f.txt")` // allowed for analysts, denied for guest

	t.Run("password", func(t *testing.T) {
		ans := e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: "alice", Password: []byte(alicePassword)}, fileCode)
		assert.Equal(t, "[1] \"x\"\n", ans)
		rec := e.lastEval(t)
		assert.Equal(t, "alice", rec.User)
		assert.Equal(t, "password", rec.AuthMethod)
	})
	t.Run("wrong password", func(t *testing.T) {
		ans := e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: "alice", Password: []byte("guess")}, "1")
		assert.Equal(t, "Error: authentication failed\n", ans)
		// Failures from one address are rate-limited with growing delays
		// (alice logged in from here before: only her own failures here
		// count, the answer says so).
		ans = e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: "alice", Password: []byte(alicePassword)}, "1")
		assert.Contains(t, ans, "Error: too many failed logins for this user from this address (limit per user and address); try again in")
		time.Sleep(2 * time.Second)
		ans = e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: "nosuchuser", Password: []byte("guess")}, "1")
		assert.Equal(t, "Error: authentication failed\n", ans, "an unknown user gets the same answer")
	})
	t.Run("client certificate", func(t *testing.T) {
		dir := t.TempDir()
		cert, key, err := e.pki.IssueClientCert("alice", dir)
		require.NoError(t, err)
		ans := e.evalTLS(t, e.tlsConfig(t, cert, key), nil, fileCode)
		assert.Equal(t, "[1] \"x\"\n", ans)
		rec := e.lastEval(t)
		assert.Equal(t, "alice", rec.User)
		assert.Equal(t, "certificate", rec.AuthMethod)
	})
	t.Run("certificate of no rwarden user", func(t *testing.T) {
		dir := t.TempDir()
		cert, key, err := e.pki.IssueClientCert("mallory", dir)
		require.NoError(t, err)
		ans := e.evalTLS(t, e.tlsConfig(t, cert, key), nil, "1")
		assert.Equal(t, "Error: the client certificate names no rwarden user\n", ans)
	})
	t.Run("certificate of another CA", func(t *testing.T) {
		other, err := setup.EnsureDevPKI(t.TempDir())
		require.NoError(t, err)
		cert, key, err := other.IssueClientCert("alice", t.TempDir())
		require.NoError(t, err)
		c, err := tls.Dial("tcp", e.tlsAddr, e.tlsConfig(t, cert, key))
		if err == nil {
			// TLS 1.3 reports the client certificate's rejection on the
			// first read.
			_ = framed.WriteRequest(c, nil, "UTF-8", []byte("1"))
			_, err = framed.ReadResponse(c, 0)
			c.Close()
		}
		assert.Error(t, err, "a certificate of an unknown CA must not get through")
	})
	t.Run("no credentials on TLS", func(t *testing.T) {
		ans := e.evalTLS(t, e.tlsConfig(t, "", ""), nil, "1")
		assert.Contains(t, ans, "Error: authentication required")
	})
	t.Run("peer credentials", func(t *testing.T) {
		ans := askOn(t, "unix", e.unixPath, "UTF-8", []byte(fileCode))
		assert.Equal(t, "[1] \"x\"\n", ans)
		rec := e.lastEval(t)
		assert.Equal(t, me.Username, rec.User)
		assert.Equal(t, "peercred", rec.AuthMethod)
	})
	t.Run("unmapped uid", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("needs root to connect as another uid")
		}
		// The system python: a python under /root (pyenv) is out of nobody's reach.
		cmd := exec.Command("/usr/bin/python3", repoFile("clients", "python", "rwarden_client.py"), "--unix", e.unixPath)
		cmd.Stdin = strings.NewReader("1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		out, _ := cmd.CombinedOutput() // the drop-in client exits 0 like the original
		assert.Contains(t, string(out), "Error: your local user is not an rwarden user")
	})
	t.Run("anonymous guest", func(t *testing.T) {
		ans := e.srv.eval(t, fileCode)
		assert.Contains(t, ans, "Error: not allowed by policy")
		rec := e.lastEval(t)
		assert.Equal(t, "guest", rec.User)
		assert.Equal(t, "anonymous", rec.AuthMethod)
	})
	t.Run("plaintext off loopback refuses to start", func(t *testing.T) {
		dir := t.TempDir()
		f := filepath.Join(dir, "rwarden.yaml")
		require.NoError(t, os.WriteFile(f, []byte("listeners:\n  - address: \"0.0.0.0:9090\"\n    plaintext: true\n"), 0o600))
		out, err := exec.Command(bin, "serve", "--config", f).CombinedOutput()
		require.Error(t, err)
		assert.Contains(t, string(out), "plaintext is only allowed on a loopback address")
	})
}
