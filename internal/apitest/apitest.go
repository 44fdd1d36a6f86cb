// Package apitest starts a real core (real R workers) with the HTTP front
// end on a loopback TLS listener, for the tests of the HTTP API and the
// front ends mounted on it (MCP). Test support only; not a layer of the
// threat model.
package apitest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/httpapi"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/rwarden/rwarden/proxy/transport"
)

// CheapArgon keeps test logins fast; production uses auth.DefaultParams.
var CheapArgon = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// The passwords of the users Start adds (alice and guest, with the
// shipped policies' roles).
const (
	AlicePassword = "wonderland-42"
	GuestPassword = "guest-password-7"
)

// Server is a running core with the HTTP front end.
type Server struct {
	URL   string // https://127.0.0.1:PORT
	Cfg   *config.Config
	State *setup.DefaultState
	Core  *core.Core
	Front *httpapi.Server
	// TLS trusts the server's certificate (the test's own CA).
	TLS *tls.Config
}

// Start starts a core on the embedded defaults with one http listener;
// mod may change the configuration first and mount may add handlers to
// the front end (MCP) before it serves. Everything stops at the test's end.
func Start(t *testing.T, prefix string, mod func(*config.Config), mount func(*core.Core, *httpapi.Server)) *Server {
	t.Helper()
	workertest.NeedR(t)
	state, err := os.MkdirTemp("", prefix)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, CheapArgon)
	require.NoError(t, err)
	cfg := st.Config
	require.NoError(t, auth.AddUser(cfg.UsersFile, "alice", []byte(AlicePassword), CheapArgon))
	require.NoError(t, auth.AddUser(cfg.UsersFile, "guest", []byte(GuestPassword), CheapArgon))
	lc := cfg.Listeners[0]
	lc.Address, lc.Protocol = "127.0.0.1:0", httpapi.Protocol
	cfg.Listeners = []config.ListenerConfig{lc}
	cfg.Pool.Warm, cfg.Pool.Max = 1, 8
	cfg.Pool.AcquireTimeout = config.Duration(2 * time.Minute)
	if mod != nil {
		mod(cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("RWARDEN_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := core.Open(ctx, cfg, core.Options{Logger: logger, PolicyCacheDir: workertest.PolicyCache(t)})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	l, err := transport.Open(ctx, cfg.Listeners[0])
	require.NoError(t, err)
	front := httpapi.NewServer(c)
	if mount != nil {
		mount(c, front)
	}
	tracker := transport.NewTracker()
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		l.Accept(tracker, logger, func(tc *transport.Conn) { front.Serve(ctx, tc) }, nil)
	}()
	t.Cleanup(func() {
		l.Close()
		<-accepted
		cancel()
		tracker.CloseAll()
		<-tracker.Done()
		front.CloseSessions()
		require.NoError(t, c.Stop())
	})
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(st.PKI.CACertPath)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(ca))
	return &Server{URL: "https://" + l.Addr().String(), Cfg: cfg, State: st, Core: c, Front: front,
		TLS: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
}

// Client is an HTTP client that trusts the server.
func (s *Server) Client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: s.TLS.Clone()}}
}
