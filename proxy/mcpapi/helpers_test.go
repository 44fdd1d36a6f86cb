package mcpapi_test

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

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/httpapi"
	"github.com/rwarden/rwarden/proxy/mcpapi"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/rwarden/rwarden/proxy/transport"
)

// TestMain lets this test binary serve as the worker init, as rwarden does.
func TestMain(m *testing.M) { workertest.Main(m) }

var cheapArgon = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	alicePassword = "wonderland-42"
	guestPassword = "guest-password-7"
)

// srv is a real core with the HTTP API and the MCP server on a TLS listener.
type srv struct {
	url  string
	cfg  *config.Config
	base *http.Transport
}

const allowedOrigin = "https://agent.example.org"

func start(t *testing.T) *srv {
	t.Helper()
	workertest.NeedR(t)
	state, err := os.MkdirTemp("", "rwarden-mcp-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, cheapArgon)
	require.NoError(t, err)
	cfg := st.Config
	require.NoError(t, auth.AddUser(cfg.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	require.NoError(t, auth.AddUser(cfg.UsersFile, "guest", []byte(guestPassword), cheapArgon))
	lc := cfg.Listeners[0]
	lc.Address, lc.Protocol = "127.0.0.1:0", httpapi.Protocol
	cfg.Listeners = []config.ListenerConfig{lc}
	cfg.Pool.Warm, cfg.Pool.Max = 1, 8
	cfg.Pool.AcquireTimeout = config.Duration(2 * time.Minute)
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
	mcpapi.Mount(c, front, mcpapi.Options{AllowedOrigins: []string{allowedOrigin}})
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
	return &srv{url: "https://" + l.Addr().String() + "/mcp", cfg: cfg,
		base: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}}
}

// headers adds Basic credentials and extra headers to every request.
type headers struct {
	user, pass string
	extra      map[string]string
	rt         http.RoundTripper
}

func (h *headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if h.user != "" {
		r.SetBasicAuth(h.user, h.pass)
	}
	for k, v := range h.extra {
		r.Header.Set(k, v)
	}
	return h.rt.RoundTrip(r)
}

func (s *srv) httpClient(user, pass string, extra map[string]string) *http.Client {
	return &http.Client{Transport: &headers{user: user, pass: pass, extra: extra, rt: s.base}}
}

// connect is an MCP client session of the Go SDK for user.
func (s *srv) connect(t *testing.T, user, pass string, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "rwarden-test-agent", Version: "9.8.7"}, opts)
	tr := &mcp.StreamableClientTransport{Endpoint: s.url, HTTPClient: s.httpClient(user, pass, nil), DisableStandaloneSSE: true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := client.Connect(ctx, tr, nil)
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

// records are the audit records of one event.
func (s *srv) records(t *testing.T, event string) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	_, err := audit.Query([]string{s.cfg.Audit.File}, audit.Filter{Event: event}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}
