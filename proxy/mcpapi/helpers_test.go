package mcpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/apitest"
	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/httpapi"
	"github.com/rwarden/rwarden/proxy/mcpapi"
)

// TestMain lets this test binary serve as the worker init, as rwarden does.
func TestMain(m *testing.M) { workertest.Main(m) }

const (
	alicePassword = apitest.AlicePassword
	guestPassword = apitest.GuestPassword
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
	s := apitest.Start(t, "rwarden-mcp-", nil, func(c *core.Core, front *httpapi.Server) {
		mcpapi.Mount(c, front, mcpapi.Options{AllowedOrigins: []string{allowedOrigin}})
	})
	return &srv{url: s.URL + "/mcp", cfg: s.Cfg, base: &http.Transport{TLSClientConfig: s.TLS.Clone()}}
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
