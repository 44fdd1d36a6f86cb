package proxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/stretchr/testify/require"
)

// TestMain lets this test binary serve as the worker init, as rwarden does,
// and as the lean client of BenchmarkQAP1LeanRoundTrip.
func TestMain(m *testing.M) {
	if lean, code := leanClientMain(); lean {
		os.Exit(code)
	}
	workertest.Main(m)
}

func needR(t *testing.T) { workertest.NeedR(t) }

func sharedPolicyCache(t testing.TB) string { return workertest.PolicyCache(t) }

// cheapArgon keeps test logins fast; production uses auth.DefaultParams.
var cheapArgon = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const alicePassword = "wonderland-42"

// e2e is a running rwarden with three listeners: plaintext loopback with
// the anonymous user guest, TLS (passwords and client certificates), and a
// unix socket (peer credentials).
type e2e struct {
	srv      *Server
	cfg      *config.Config
	state    string
	pki      *setup.DevPKI
	plain    string // host:port
	tlsAddr  string
	unixPath string
	// demoPassword is the demo user's password (the embedded defaults'
	// user, as the README's examples use it).
	demoPassword string
}

func startE2E(t *testing.T, mod func(*config.Config)) *e2e {
	t.Helper()
	needR(t)
	state, err := os.MkdirTemp("", "rwarden-e2e-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, cheapArgon)
	require.NoError(t, err)
	cfg := st.Config
	require.NoError(t, auth.AddUser(cfg.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	// The local user running the tests gets a policy, for peer credentials.
	me, err := user.Current()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(cfg.PoliciesDir, "users", me.Username+".csv"),
		[]byte("g, "+me.Username+", role:analyst\n"), 0o644))

	tlsL := cfg.Listeners[0]
	tlsL.Address = "127.0.0.1:0"
	plain := config.NewListener("127.0.0.1:0")
	plain.Plaintext, plain.AnonymousUser = true, "guest"
	unixL := config.NewListener("")
	unixL.Address = "unix:" + filepath.Join(state, "rwarden.sock")
	unixL.Plaintext = true
	unixL.UnixMode = 0o666
	cfg.Listeners = []config.ListenerConfig{tlsL, plain, unixL}
	cfg.Pool.Warm = 2
	cfg.Pool.Max = 8
	cfg.Pool.AcquireTimeout = config.Duration(2 * time.Minute)
	cfg.Admin.Address = "127.0.0.1:0"
	cfg.ShutdownGrace = config.Duration(20 * time.Second)
	if mod != nil {
		mod(cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("RWARDEN_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv := serveForTest(t, cfg, Options{Logger: logger})
	e := &e2e{srv: srv, cfg: cfg, state: state, pki: st.PKI, demoPassword: st.DemoPassword}
	e.tlsAddr = srv.Addr(0).String()
	e.plain = srv.Addr(1).String()
	e.unixPath = filepath.Join(state, "rwarden.sock")
	return e
}

// serveForTest starts a server on cfg and stops it (and checks it stopped
// cleanly) when the test ends.
func serveForTest(tb testing.TB, cfg *config.Config, opts Options) *Server {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.PolicyCacheDir == "" {
		opts.PolicyCacheDir = sharedPolicyCache(tb)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, cfg, opts)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("server stopped with %v", err)
			}
		case <-time.After(time.Minute):
			tb.Error("server did not stop")
		}
	})
	return srv
}

// ask sends one framed request over conn and returns the answer.
func ask(t *testing.T, conn net.Conn, creds *framed.Credentials, encoding string, code []byte) string {
	t.Helper()
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(3*time.Minute)))
	require.NoError(t, framed.WriteRequest(conn, creds, encoding, code))
	ans, err := framed.ReadResponse(conn, 0)
	require.NoError(t, err)
	return string(ans)
}

func (e *e2e) evalPlain(t *testing.T, code string) string {
	t.Helper()
	c, err := net.Dial("tcp", e.plain)
	require.NoError(t, err)
	return ask(t, c, nil, "UTF-8", []byte(code))
}
