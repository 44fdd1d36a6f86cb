// Package mcpapi is rwarden's Model Context Protocol front end: an MCP
// server (the official Go SDK, github.com/modelcontextprotocol/go-sdk)
// served over streamable HTTP at /mcp on the HTTP listeners, so that LLM
// agents run R through the same users, policies, worker sandbox, limits
// and audit trail as every other client.
//
// Threat-model layer 1 (transport), like proxy/httpapi, on which it is
// mounted: every HTTP request to /mcp is authenticated by the HTTP API's
// own authentication (httpapi.Server.Authenticate) before the SDK sees
// it; a request from a browser Origin that is not in the configured allow
// list is refused (DNS rebinding and cross-site requests); an MCP session
// (Mcp-Session-Id) belongs to the user who initialized it, and another
// user presenting its id is answered 404. Every tool that runs code is an
// evaluation of the session core (policy check, sandboxed worker, limits,
// audit record naming the MCP client and its version).
//
// Tools: r_eval, r_session_open, r_session_close, r_describe_policy,
// r_list_packages (tools.go); the files of a session's scratch directory
// as resources (resources.go). rwarden's sessions opened here are the HTTP
// API's sessions (the same ids, bound to the same user).
package mcpapi
