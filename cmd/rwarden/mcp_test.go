package main

import (
	"net/http"
	"testing"

	"encoding/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bridge repeats what protocol 2026-07-28 wants in headers, and only
// for messages of that protocol.
func TestMCPHeadHeaders(t *testing.T) {
	tests := []struct {
		name, msg            string
		version, method, nme string
	}{
		{"legacy call", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"r_eval"}}`, "", "", ""},
		{"tool call", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"r_eval","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, "2026-07-28", "tools/call", "r_eval"},
		{"resource", `{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"rwarden://session/x/files/é.txt","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, "2026-07-28", "resources/read", "=?base64?cndhcmRlbjovL3Nlc3Npb24veC9maWxlcy/DqS50eHQ=?="},
		{"discover", `{"jsonrpc":"2.0","id":3,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`, "2026-07-28", "server/discover", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h mcpHead
			require.NoError(t, json.Unmarshal([]byte(tt.msg), &h))
			req, err := http.NewRequest("POST", "https://x/mcp", nil)
			require.NoError(t, err)
			h.setHeaders(req)
			assert.Equal(t, tt.version, req.Header.Get("Mcp-Protocol-Version"))
			assert.Equal(t, tt.method, req.Header.Get("Mcp-Method"))
			assert.Equal(t, tt.nme, req.Header.Get("Mcp-Name"))
		})
	}
	assert.True(t, isCall([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)))
	assert.False(t, isCall([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)))
	assert.False(t, isCall([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)))
}
