package transport_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/framed"
)

var pythonClient = filepath.Join("..", "..", "clients", "python", "rwarden_client.py")

// serveFramedTLS is a framed server over this package's TLS configuration
// that answers with the identity it saw: "cert=<user> auth=<user> code=<code>".
func serveFramedTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return serveTLSConns(t, cfg, func(tc *tls.Conn, certUser string) {
		r, err := framed.ReadRequest(tc, framed.Limits{})
		var pe *framed.ProtocolError
		if errors.As(err, &pe) {
			_ = framed.WriteResponse(tc, framed.UTF8, pe.Answer())
			return
		} else if err != nil {
			return
		}
		authUser := ""
		if r.Auth != nil {
			authUser = r.Auth.User
		}
		answer := fmt.Sprintf("cert=%s auth=%s tls=%x code=%s\n", certUser, authUser, tc.ConnectionState().Version, r.Code)
		_ = framed.WriteResponse(tc, r.Encoding, answer)
	})
}

func TestPythonClientTLS(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	f := newTLSFixture(t)
	serve := func(mode string) string {
		cfg, _, err := transport.NewTLSConfig(f.listenerTLS(mode))
		require.NoError(t, err)
		return serveFramedTLS(t, cfg)
	}
	reqAddr, reqdAddr := serve(config.ClientAuthRequest), serve(config.ClientAuthRequire)
	// The dev certificate names localhost; connect by that name.
	split := func(addr string) []string {
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		return []string{"--hostname", "localhost", "--port", port}
	}
	tests := []struct {
		name     string
		args     []string
		env      []string
		want     string
		wantExit int
	}{
		{"password over TLS", append(split(reqAddr), "--tls", "--ca", f.pki.CACertPath, "--user", "alice"),
			[]string{"RWARDEN_PASSWORD=pw"}, "cert= auth=alice tls=304 code=1+1\n", 0},
		{"--ca implies TLS", append(split(reqAddr), "--ca", f.pki.CACertPath), nil, "cert= auth= tls=304 code=1+1\n", 0},
		{"client certificate", append(split(reqAddr), "--ca", f.pki.CACertPath, "--cert", f.aliceCert, "--key", f.aliceKey), nil,
			"cert=alice auth= tls=304 code=1+1\n", 0},
		{"client certificate required", append(split(reqdAddr), "--ca", f.pki.CACertPath, "--cert", f.aliceCert, "--key", f.aliceKey), nil,
			"cert=alice auth= tls=304 code=1+1\n", 0},
		{"required certificate missing", append(split(reqdAddr), "--ca", f.pki.CACertPath), nil, "", 2},
		{"server not trusted", append(split(reqAddr), "--tls"), nil, "", 2},
		{"wrong server name", append(split(reqAddr), "--ca", f.pki.CACertPath, "--server-name", "example.org"), nil, "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(py, append([]string{pythonClient}, tc.args...)...)
			cmd.Stdin = strings.NewReader("1+1")
			cmd.Env = append(append(os.Environ(), "SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=/nonexistent"), tc.env...)
			out, errOut, exit := runClient(t, cmd)
			assert.Equal(t, tc.wantExit, exit, "stderr: %s", errOut)
			if tc.wantExit == 0 {
				assert.Equal(t, tc.want, out)
			}
		})
	}

	// Imported, with a client certificate.
	_, port, _ := net.SplitHostPort(reqdAddr)
	script := fmt.Sprintf(`import rwarden_client as rc
print(rc.evaluate("2", hostname="localhost", port=%s, tls=True, cafile=%q, certfile=%q, keyfile=%q), end="")`,
		port, f.pki.CACertPath, f.aliceCert, f.aliceKey)
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Dir(pythonClient))
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "%s", out)
	assert.Equal(t, "cert=alice auth= tls=304 code=2\n", string(out))
}

// runClient runs a client command and returns what it printed and its exit
// status; a command that could not run at all fails the test.
func runClient(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, exit int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exit = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), exit
}
