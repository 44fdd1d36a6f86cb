package mcpapi

import (
	"crypto/rand"
	"encoding/base64"
)

// newSessionID is an MCP session id (Mcp-Session-Id) that names its node,
// "<node>.<random>", like the HTTP API's session ids: another node that
// receives it answers that the session lives on that node. 256 random
// bits: knowing an id is not a credential (its owner is checked too).
func newSessionID(node string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	if node == "" {
		return id
	}
	return node + "." + id
}
