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
	sdk     http.Handler
	mcp     *mcp.Server
	tickets tickets
	owners  owners
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
		&mcp.ServerOptions{Instructions: instructions, Logger: s.log})
	s.addTools()
	s.addResources()
	s.sdk = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{
			SessionTimeout: sessionTimeout,
			Logger:         s.log,
			// Bounded again per request below (max_code_bytes).
			MaxRequestBodyBytes: 1 << 20,
		})
	return s
}

// instructions tell the model what this server is.
const instructions = `rwarden runs R code for you in a sandboxed R process under a per-user policy.
Code that calls a function the policy does not allow is refused before it runs: the result lists each
refused function with its line:col and the rule, so rewrite the code without it. Call r_describe_policy
to see what you may call and load, r_session_open to keep R state between r_eval calls.`
