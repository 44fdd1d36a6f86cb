package mcpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/httpapi"
)

// Path is where the MCP server is mounted on the HTTP listeners.
const Path = "/mcp"

// sessionTimeout ends an MCP session (the protocol's, not rwarden's R
// sessions) that saw no request for this long.
const sessionTimeout = 30 * time.Minute

// sessionlessVersion is the first protocol version without MCP sessions.
const sessionlessVersion = "2026-07-28"

// handlerFor picks the SDK handler for r by the protocol version it
// declares.
func (s *Server) handlerFor(r *http.Request) http.Handler {
	if v := r.Header.Get("Mcp-Protocol-Version"); v >= sessionlessVersion {
		return s.stateless
	}
	return s.sessions
}

// maxBody bounds a JSON-RPC message body beyond the listener's
// max_code_bytes (the JSON around the code and its escapes).
const maxBody = 64 << 10

// Options configure the MCP server.
type Options struct {
	// AllowedOrigins are the browser origins (scheme://host[:port]) that
	// may call /mcp. A request without an Origin header (a non-browser
	// client) is not affected.
	AllowedOrigins []string
	// Version is rwarden's version, reported to clients.
	Version string
}

// Server is the MCP front end of one core, mounted on its HTTP API.
type Server struct {
	core    *core.Core
	http    *httpapi.Server
	log     *slog.Logger
	origins []string
	// sessions serves the protocol versions before 2026-07-28, stateless
	// the later ones (see New).
	sessions, stateless http.Handler
	mcp                 *mcp.Server
	tickets             tickets
	owners              owners
}

// Mount creates the MCP server of c and mounts it at Path on h.
func Mount(c *core.Core, h *httpapi.Server, o Options) *Server {
	s := New(c, h, o)
	h.Mount(Path, s)
	return s
}

// New returns the MCP server of c, authenticating through h.
func New(c *core.Core, h *httpapi.Server, o Options) *Server {
	s := &Server{core: c, http: h, log: c.Logger(),
		tickets: tickets{m: map[string]*caller{}},
		owners:  owners{m: map[string]owner{}, ttl: sessionTimeout + time.Minute}}
	for _, og := range o.AllowedOrigins {
		s.origins = append(s.origins, normalizeOrigin(og))
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "rwarden", Title: "rwarden: R under policy", Version: version},
		&mcp.ServerOptions{Instructions: instructions, Logger: sdkLogger(s.log),
			GetSessionID: func() string { return newSessionID(c.Node()) }})
	s.addTools()
	s.addResources()
	get := func(*http.Request) *mcp.Server { return s.mcp }
	// The SDK serves protocol 2026-07-28 (sessionless: every request
	// carries the client's name, version and capabilities in _meta) only
	// in stateless mode, and the versions before it need the MCP session
	// (Mcp-Session-Id) that stateless mode turns off: their client info
	// comes once, with initialize. A request says its version in the
	// Mcp-Protocol-Version header (required since 2026-07-28; the
	// initialize of older clients has none or an older one).
	s.sessions = mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{
		SessionTimeout: sessionTimeout,
		Logger:         sdkLogger(s.log),
		// Bounded again, and first, by ServeHTTP (max_code_bytes).
		MaxRequestBodyBytes: 1 << 20,
	})
	s.stateless = mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{
		Stateless:           true,
		Logger:              sdkLogger(s.log),
		MaxRequestBodyBytes: 1 << 20,
	})
	return s
}

// instructions tell the model what this server is.
const instructions = `rwarden runs R code for you in a sandboxed R process under a per-user policy.
Code that calls a function the policy does not allow is refused before it runs: the result lists each
refused function with its line:col and the rule, so rewrite the code without it. Call r_describe_policy
to see what you may call and load, r_session_open to keep R state between r_eval calls.`
