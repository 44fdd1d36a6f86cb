package transport_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/framed"
)

// servePlainFramed answers like serveFramedTLS, without TLS, on ln.
func servePlainFramed(t *testing.T, ln net.Listener) {
	testutil.ServeConns(t, ln, 10*time.Second, func(c net.Conn) {
		r, err := framed.ReadRequest(c, framed.Limits{})
		if err != nil {
			return
		}
		answer := "auth=" + authName(r) + " enc=" + r.Encoding.Name() + " code=" + string(r.Code) + " 中\n"
		if strings.HasPrefix(string(r.Code), "stop(") {
			answer = "Error: boom\n"
		}
		_ = framed.WriteResponse(c, r.Encoding, answer)
	})
}

func authName(r *framed.Request) string {
	if r.Auth == nil {
		return ""
	}
	return r.Auth.User + ":" + string(r.Auth.Password)
}

func TestEvalCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the rwarden binary")
	}
	bin := testutil.BuildRwarden(t)

	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	servePlainFramed(t, tcp)
	sock := filepath.Join(t.TempDir(), "e.sock")
	ux, err := net.Listen("unix", sock)
	require.NoError(t, err)
	servePlainFramed(t, ux)

	f := newTLSFixture(t)
	cfg, _, err := transport.NewTLSConfig(f.listenerTLS(config.ClientAuthRequire))
	require.NoError(t, err)
	tlsAddr := serveFramedTLS(t, cfg)
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	codeFile := filepath.Join(t.TempDir(), "code.R")
	require.NoError(t, os.WriteFile(codeFile, []byte("from_file()"), 0o600))

	tests := []struct {
		name     string
		args     []string
		stdin    string
		env      []string
		want     string
		wantExit int
	}{
		{"-e", []string{"--addr", tcp.Addr().String(), "-e", "1+1"}, "", nil, "auth= enc=UTF-8 code=1+1 中\n", 0},
		{"stdin", []string{"--addr", tcp.Addr().String()}, "x <- 'é'", nil, "auth= enc=UTF-8 code=x <- 'é' 中\n", 0},
		{"file", []string{"--addr", tcp.Addr().String(), codeFile}, "", nil, "auth= enc=UTF-8 code=from_file() 中\n", 0},
		{"latin1", []string{"--addr", tcp.Addr().String(), "--encoding", "latin1", "-e", "'é'"}, "", nil,
			"auth= enc=ISO-8859-1 code='é' <U+4E2D>\n", 0},
		{"code not representable", []string{"--addr", tcp.Addr().String(), "--encoding", "latin1", "-e", "'中'"}, "", nil, "", 2},
		{"user and password", []string{"--addr", tcp.Addr().String(), "--user", "alice", "-e", "1"}, "",
			[]string{"RWARDEN_PASSWORD=pw:1"}, "auth=alice:pw:1 enc=UTF-8 code=1 中\n", 0},
		{"unix socket", []string{"--unix", sock, "-e", "2"}, "", nil, "auth= enc=UTF-8 code=2 中\n", 0},
		{"error answer exits 1", []string{"--addr", tcp.Addr().String(), "-e", "stop('x')"}, "", nil, "Error: boom\n", 1},
		{"mTLS", []string{"--addr", "localhost:" + tlsPort, "--tls-ca", f.pki.CACertPath, "--cert", f.aliceCert, "--key", f.aliceKey, "-e", "3"},
			"", nil, "cert=alice auth= tls=304 code=3\n", 0},
		{"TLS without the required certificate", []string{"--addr", "localhost:" + tlsPort, "--tls-ca", f.pki.CACertPath, "-e", "3"}, "", nil, "", 2},
		{"untrusted server", []string{"--addr", "localhost:" + tlsPort, "--tls", "-e", "3"}, "", nil, "", 2},
		{"no address", []string{"-e", "1"}, "", nil, "", 2},
		{"nothing listening", []string{"--addr", "127.0.0.1:1", "-e", "1"}, "", nil, "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"eval"}, tc.args...)...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			cmd.Env = append(os.Environ(), "SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=/nonexistent")
			cmd.Env = append(cmd.Env, tc.env...)
			out, errOut, exit := runClient(t, cmd)
			assert.Equal(t, tc.wantExit, exit, "stderr: %s", errOut)
			if tc.want != "" {
				assert.Equal(t, tc.want, out)
			}
		})
	}
}
