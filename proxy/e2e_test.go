package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/rwarden/rwarden/proxy/transport"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lastEval returns the newest eval record of the server's audit trail.
func (e *e2e) lastEval(t *testing.T) *audit.Record {
	t.Helper()
	var last *audit.Record
	_, err := audit.Query([]string{e.cfg.Audit.File}, audit.Filter{Event: audit.EventEval}, func(r *audit.Record) error {
		last = r
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, last, "no eval record")
	return last
}

// Acceptance 2: identities over TLS (password, certificate) and a unix
// socket (peer credentials) map to the right user and policy; bad ones are
// refused; a plaintext listener off loopback refuses to start.
func TestE2EIdentities(t *testing.T) {
	e := startE2E(t, nil)
	fileCode := `writeLines("x", "f.txt"); readLines("f.txt")` // allowed for analysts, denied for guest
	me, err := user.Current()
	require.NoError(t, err)

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
		// Failures from one address are rate-limited with growing delays.
		ans = e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: "alice", Password: []byte(alicePassword)}, "1")
		assert.Contains(t, ans, "Error: too many failed logins; try again in")
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
		c, err := net.Dial("unix", e.unixPath)
		require.NoError(t, err)
		ans := ask(t, c, nil, "UTF-8", []byte(fileCode))
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
		ans := e.evalPlain(t, fileCode)
		assert.Contains(t, ans, "Error: not allowed by policy")
		rec := e.lastEval(t)
		assert.Equal(t, "guest", rec.User)
		assert.Equal(t, "anonymous", rec.AuthMethod)
	})
	t.Run("plaintext off loopback refuses to start", func(t *testing.T) {
		dir := t.TempDir()
		f := filepath.Join(dir, "rwarden.yaml")
		require.NoError(t, os.WriteFile(f, []byte("listeners:\n  - address: \"0.0.0.0:9090\"\n    plaintext: true\n"), 0o600))
		_, err := LoadConfig(f)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "plaintext")
		_, err = transport.Listen(context.Background(), "0.0.0.0:0", true, 0)
		assert.Error(t, err)
	})
}

// Acceptance 3: denied code gets an error naming the function and its
// position, and no worker is used.
func TestE2EDeniedNeverReachesAWorker(t *testing.T) {
	e := startE2E(t, nil)
	require.Eventually(t, func() bool { return e.srv.Core().PoolStats().Idle == 2 }, time.Minute, 10*time.Millisecond)
	before := e.srv.Core().PoolStats()
	ans := e.evalPlain(t, "x <- 1\ny <- system(\"id\")")
	assert.True(t, strings.HasPrefix(ans, "Error: not allowed by policy"), ans)
	assert.Contains(t, ans, "2:6 base::system (call)")
	after := e.srv.Core().PoolStats()
	assert.Equal(t, before.Started, after.Started, "a worker was started")
	assert.Equal(t, 2, after.Idle, "a warm worker was taken")
	rec := e.lastEval(t)
	assert.Equal(t, audit.DecisionDenied, rec.Decision)
	assert.Empty(t, rec.Worker)
	require.NotEmpty(t, rec.Violations)
	assert.Equal(t, "base::system", rec.Violations[0].Object)
	assert.Equal(t, 2, rec.Violations[0].Line)
	assert.Equal(t, 6, rec.Violations[0].Col)
}

// Acceptance 5: 50 concurrent clients x 20 evaluations, every answer
// right, no worker leaked, memory back to its start level.
func TestE2EConcurrentClients(t *testing.T) {
	e := startE2E(t, func(c *config.Config) {
		c.Pool.Max = 12
		c.Pool.Warm = 4
		// All 50 clients are the anonymous guest: allow them all at once.
		sessions := 64
		c.Limits.Users = map[string]config.LimitSet{"guest": {Sessions: &sessions}}
	})
	settle := func() {
		require.Eventually(t, func() bool {
			s := e.srv.Core().PoolStats()
			return s.Idle == 4 && s.Busy == 0 && s.Starting == 0
		}, 2*time.Minute, 20*time.Millisecond)
	}
	settle()
	e.evalPlain(t, "1") // first-use allocations (policy caches) before measuring
	settle()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	heapBefore := heap()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wrong []string
	for c := 0; c < 50; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				n := c*100 + i
				conn, err := net.Dial("tcp", e.plain)
				if err != nil {
					mu.Lock()
					wrong = append(wrong, err.Error())
					mu.Unlock()
					return
				}
				_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
				err = framed.WriteRequest(conn, nil, "UTF-8", []byte(fmt.Sprintf("x <- %d\nx * 2", n)))
				var ans []byte
				if err == nil {
					ans, err = framed.ReadResponse(conn, 0)
				}
				conn.Close()
				if want := fmt.Sprintf("[1] %d\n", 2*n); err != nil || string(ans) != want {
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("client %d eval %d: %q %v", c, i, ans, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	assert.Empty(t, wrong)
	settle()
	st := e.srv.Core().PoolStats()
	assert.Equal(t, 0, st.Busy, "busy workers left")
	assert.Equal(t, 4, len(testutil.ChildrenOf(os.Getpid())), "R processes besides the warm ones")
	heapAfter := heap()
	assert.Less(t, int64(heapAfter)-int64(heapBefore), int64(16<<20), "heap grew from %d to %d", heapBefore, heapAfter)
}
