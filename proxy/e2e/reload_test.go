package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
)

// Issue 18: the users file and the listeners' certificates and keys are
// reloaded when they change, without SIGHUP (as policies are); the reloads
// are counted in /metrics.
func TestE2EUsersAndCertificatesReloadOnChange(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	tlsPort, adminPort := freePort(t), freePort(t)
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s}
`, tlsPort, l.TLS.Cert, l.TLS.Key), fmt.Sprintf("pool: {warm: 1, max: 4, acquire_timeout: 2m}\nadmin: {address: \"127.0.0.1:%d\"}\n", adminPort))
	e := &fixture{srv: srv, tlsAddr: fmt.Sprintf("127.0.0.1:%d", tlsPort), pki: st.PKI}
	metrics := func() string {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}

	// reloads is the value of a rwarden_file_reloads_total counter (0 when
	// not yet exported).
	reloads := func(labels string) float64 {
		prefix := "rwarden_file_reloads_total{" + labels + "} "
		for _, line := range strings.Split(metrics(), "\n") {
			if v, ok := strings.CutPrefix(line, prefix); ok {
				f, err := strconv.ParseFloat(v, 64)
				require.NoError(t, err)
				return f
			}
		}
		return 0
	}

	t.Run("users file", func(t *testing.T) {
		// alice has a policy (shipped) but no password yet; adding one
		// (an atomic rename of the file) lets her in without SIGHUP.
		require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
		creds := &framed.Credentials{User: "alice", Password: []byte(alicePassword)}
		require.Eventually(t, func() bool {
			return reloads(`file="users",result="ok"`) >= 1
		}, 10*time.Second, 100*time.Millisecond, "the users file was not reloaded without SIGHUP")
		assert.Equal(t, "[1] 2\n", e.evalTLS(t, e.tlsConfig(t, "", ""), creds, "1 + 1"))

		before := reloads(`file="users",result="ok"`)
		require.NoError(t, auth.DeleteUser(st.Config.UsersFile, "alice"))
		require.Eventually(t, func() bool {
			return reloads(`file="users",result="ok"`) > before
		}, 10*time.Second, 100*time.Millisecond, "the users file was not reloaded without SIGHUP")
		assert.Equal(t, "Error: authentication failed\n", e.evalTLS(t, e.tlsConfig(t, "", ""), creds, "1 + 1"), "a removed user is refused")
	})

	t.Run("certificate and key", func(t *testing.T) {
		leaf := func() []byte {
			c, err := tls.Dial("tcp", e.tlsAddr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // compares certificates itself
			require.NoError(t, err)
			defer c.Close()
			return c.ConnectionState().PeerCertificates[0].Raw
		}
		old := leaf()
		other, err := setup.EnsureDevPKI(t.TempDir())
		require.NoError(t, err)
		for src, dst := range map[string]string{other.ServerCertPath: l.TLS.Cert, other.ServerKeyPath: l.TLS.Key} {
			b, err := os.ReadFile(src)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(dst, b, 0o600))
		}
		require.Eventually(t, func() bool { return string(leaf()) != string(old) }, 10*time.Second, 100*time.Millisecond,
			"new handshakes still get the old certificate without SIGHUP")
		assert.Contains(t, metrics(), `rwarden_file_reloads_total{file="certificate",result="ok"}`)

		// A broken certificate keeps the one in force.
		now := leaf()
		require.NoError(t, os.WriteFile(l.TLS.Cert, []byte("not a certificate"), 0o600))
		require.Eventually(t, func() bool {
			return reloads(`file="certificate",result="rejected"`) > 0
		}, 10*time.Second, 100*time.Millisecond)
		assert.Equal(t, now, leaf())
	})
}
