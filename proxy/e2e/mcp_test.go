package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/setup"
)

// tsSDKVersion is the official TypeScript MCP SDK the interoperability
// test installs (npm), pinned so that a run is reproducible.
const tsSDKVersion = "1.32.2"

// mcpServer is the real binary with an http listener (TLS) serving /mcp.
type mcpServer struct {
	*server
	st   *setup.DefaultState
	addr string
}

func startMCP(t *testing.T) *mcpServer {
	t.Helper()
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	l := st.Config.Listeners[0]
	port := freePort(t)
	s := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: http
    tls: {cert: %s, key: %s}
`, port, l.TLS.Cert, l.TLS.Key), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
	return &mcpServer{server: s, st: st, addr: fmt.Sprintf("127.0.0.1:%d", port)}
}

// bridgeArgs are the arguments of `rwarden mcp` for alice.
func (m *mcpServer) bridgeArgs() []string {
	return []string{"mcp", "--addr", m.addr, "--tls-ca", m.st.PKI.CACertPath, "--user", "alice"}
}

// tsSDK installs the TypeScript SDK into a cache directory (once) and
// returns the directory to run the client script from.
func tsSDK(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed (scripts/install-deps.sh installs nodejs and npm): the TypeScript SDK client test needs it")
	}
	_, err := exec.LookPath("npm")
	require.NoError(t, err, "node is installed but npm is not")
	cache, err := os.UserCacheDir()
	require.NoError(t, err)
	dir := filepath.Join(cache, "rwarden-test", "mcp-ts-sdk-"+tsSDKVersion)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private": true, "type": "module"}`), 0o644))
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--silent", "@modelcontextprotocol/sdk@"+tsSDKVersion)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm install @modelcontextprotocol/sdk@%s: %s", tsSDKVersion, out)
	}
	script, err := os.ReadFile(repoFile("proxy", "e2e", "testdata", "mcp_client.mjs"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mcp_client.mjs"), script, 0o644))
	return dir
}

type tsReport struct {
	Tools   []string `json:"tools"`
	Session string   `json:"session"`
	First   struct {
		IsError bool   `json:"isError"`
		Text    string `json:"text"`
	} `json:"first"`
	Second struct {
		IsError bool   `json:"isError"`
		Text    string `json:"text"`
	} `json:"second"`
	Plot []struct {
		Type     string `json:"type"`
		MimeType string `json:"mimeType"`
		Bytes    int    `json:"bytes"`
		Magic    string `json:"magic"`
	} `json:"plot"`
	Denied struct {
		IsError bool   `json:"isError"`
		Text    string `json:"text"`
	} `json:"denied"`
	Streamed struct {
		IsError bool    `json:"isError"`
		End     float64 `json:"end"`
		Text    string  `json:"text"`
	} `json:"streamed"`
	Progress []struct {
		Message string  `json:"message"`
		At      float64 `json:"at"`
	} `json:"progress"`
	Closed struct {
		IsError bool `json:"isError"`
	} `json:"closed"`
}

// Acceptance 1 and 2 of issue 16: the official TypeScript SDK's client,
// over streamable HTTP and through the stdio bridge, lists the tools,
// keeps state across two evaluations in a session, receives a plot as
// image content, gets a denial as isError with its reasons, and gets
// console output as progress notifications while the code runs.
func TestE2EMCPTypeScriptClient(t *testing.T) {
	m := startMCP(t)
	dir := tsSDK(t)
	for _, mode := range []string{"http", "stdio"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"mcp_client.mjs", mode}
			if mode == "http" {
				args = append(args, "https://"+m.addr+"/mcp")
			} else {
				args = append(append(args, bin), m.bridgeArgs()...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+m.st.PKI.CACertPath,
				"RWARDEN_USER=alice", "RWARDEN_PASSWORD="+alicePassword)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, err, "node client: %s\nserver log:\n%s", stderr.String(), m.log.String())
			var r tsReport
			require.NoError(t, json.Unmarshal(out, &r), string(out))

			assert.Equal(t, []string{"r_describe_policy", "r_eval", "r_list_packages", "r_session_close", "r_session_open"}, r.Tools)
			assert.Regexp(t, `^[a-z0-9-]+\.[A-Za-z0-9_-]{43}$`, r.Session, "node name, '.', 256 random bits")
			assert.False(t, r.First.IsError, r.First.Text)
			assert.False(t, r.Second.IsError, r.Second.Text)
			assert.Contains(t, r.Second.Text, "value (JSON): [42]", "x from the first call")

			require.Len(t, r.Plot, 2)
			assert.Equal(t, "image", r.Plot[1].Type)
			assert.Equal(t, "image/png", r.Plot[1].MimeType)
			assert.Equal(t, "PNG", r.Plot[1].Magic)
			assert.Greater(t, r.Plot[1].Bytes, 1000)

			assert.True(t, r.Denied.IsError)
			assert.Contains(t, r.Denied.Text, "base::system (call) at line 2:1, rule: ")

			assert.False(t, r.Streamed.IsError, r.Streamed.Text)
			var all strings.Builder
			for _, p := range r.Progress {
				all.WriteString(p.Message)
			}
			assert.Contains(t, all.String(), "tick 1")
			assert.Contains(t, all.String(), "tick 3")
			if assert.NotEmpty(t, r.Progress) {
				assert.Greater(t, r.Streamed.End-r.Progress[0].At, 1500.0, "the first output arrived while the code ran (ms)")
			}
			assert.False(t, r.Closed.IsError)
		})
	}
	// The audit trail names the TypeScript client in every evaluation.
	var n int
	_, err := audit.Query([]string{filepath.Join(m.state, "audit.jsonl")}, audit.Filter{Event: audit.EventEval}, func(r *audit.Record) error {
		n++
		assert.Equal(t, "ts-sdk-e2e", r.Detail["mcp_client"])
		assert.Equal(t, "1.2.3", r.Detail["mcp_client_version"])
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 10, n, "five evaluations per transport")
}

// The stdio bridge with the Go SDK's client: a session keeps state.
func TestE2EMCPStdioBridgeGoClient(t *testing.T) {
	m := startMCP(t)
	cmd := exec.Command(bin, m.bridgeArgs()...)
	cmd.Env = append(os.Environ(), "RWARDEN_PASSWORD="+alicePassword)
	client := mcp.NewClient(&mcp.Implementation{Name: "go-bridge-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	defer cs.Close()
	assert.Equal(t, "2026-07-28", cs.InitializeResult().ProtocolVersion, "the bridge carries the sessionless protocol")
	r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "r_eval", Arguments: map[string]any{"code": "mean(c(1, 2, 6))"}})
	require.NoError(t, err)
	require.False(t, r.IsError)
	assert.Contains(t, r.Content[0].(*mcp.TextContent).Text, "value (JSON): [3]")
}

// The bridge with a wrong password: the client's initialize fails with the
// server's refusal passed on as a JSON-RPC error (401; the Go client tries
// a discovery request first, so its initialize meets the login limiter's
// 429).
func TestE2EMCPStdioBridgeBadPassword(t *testing.T) {
	m := startMCP(t)
	cmd := exec.Command(bin, m.bridgeArgs()...)
	cmd.Env = append(os.Environ(), "RWARDEN_PASSWORD=wrong")
	client := mcp.NewClient(&mcp.Implementation{Name: "go-bridge-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	require.Error(t, err)
	assert.Regexp(t, `the server answered (401|429) `, err.Error())
}
