package mcpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/mcpapi"
)

func text(t *testing.T, r *mcp.CallToolResult) string {
	t.Helper()
	require.NotEmpty(t, r.Content)
	tc, ok := r.Content[0].(*mcp.TextContent)
	require.True(t, ok, "the first content is text")
	return tc.Text
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err)
	return r
}

// TestTools drives every tool with the Go SDK's client against a real
// server with real R: the tool list, a session keeping state across two
// evaluations, a plot as image content, a denial as isError with its
// reasons, the policy description, and the MCP client in the audit trail.
func TestTools(t *testing.T) {
	s := start(t)
	cs, err := s.connect(t, "alice", alicePassword, nil)
	require.NoError(t, err)
	ctx := context.Background()

	// The Go SDK client speaks the sessionless protocol (the stateless
	// handler); the TypeScript client of the e2e test the older one.
	require.NotNil(t, cs.InitializeResult())
	assert.Equal(t, "2026-07-28", cs.InitializeResult().ProtocolVersion)
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
		assert.NotEmpty(t, tl.Description, tl.Name)
		assert.NotNil(t, tl.InputSchema, tl.Name)
	}
	assert.ElementsMatch(t, []string{"r_eval", "r_session_open", "r_session_close", "r_describe_policy", "r_list_packages"}, names)

	open := call(t, cs, "r_session_open", nil)
	require.False(t, open.IsError, text(t, open))
	var sess struct {
		Session string `json:"session"`
	}
	require.NoError(t, json.Unmarshal([]byte(text(t, open)), &sess))
	require.Regexp(t, `^[a-z0-9-]+\.[A-Za-z0-9_-]{43}$`, sess.Session, "node name, '.', 256 random bits")

	r := call(t, cs, "r_eval", map[string]any{"code": "x <- c(3, 4)\ncat('set\\n')", "session": sess.Session})
	require.False(t, r.IsError, text(t, r))
	assert.Contains(t, text(t, r), "set")
	r = call(t, cs, "r_eval", map[string]any{"code": "sum(x^2)", "session": sess.Session})
	require.False(t, r.IsError, text(t, r))
	assert.Contains(t, text(t, r), "value (JSON): [25]")
	var sc struct {
		Status string          `json:"status"`
		Value  json.RawMessage `json:"value"`
	}
	b, err := json.Marshal(r.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &sc))
	assert.Equal(t, "ok", sc.Status)
	assert.JSONEq(t, "[25]", string(sc.Value))

	// A one-shot evaluation does not see the session's x.
	r = call(t, cs, "r_eval", map[string]any{"code": "'x' %in% ls()"})
	assert.Contains(t, text(t, r), "value (JSON): [false]")

	r = call(t, cs, "r_eval", map[string]any{"code": "plot(1:10)", "session": sess.Session})
	require.False(t, r.IsError, text(t, r))
	require.Len(t, r.Content, 2)
	img, ok := r.Content[1].(*mcp.ImageContent)
	require.True(t, ok, "the plot is image content")
	assert.Equal(t, "image/png", img.MIMEType)
	assert.True(t, bytes.HasPrefix(img.Data, []byte("\x89PNG")), "a PNG image")

	r = call(t, cs, "r_eval", map[string]any{"code": "y <- 1\nsystem('id')", "session": sess.Session})
	require.True(t, r.IsError)
	den := text(t, r)
	assert.Contains(t, den, "status: denied")
	assert.Contains(t, den, "base::system")
	assert.Contains(t, den, "line 2:1")
	assert.Contains(t, den, "rule:")

	r = call(t, cs, "r_eval", map[string]any{"code": "f <- function() { warning('careful'); 2 }\nf()", "session": sess.Session})
	require.False(t, r.IsError, text(t, r))
	assert.Contains(t, text(t, r), "warning: careful")
	assert.Contains(t, text(t, r), "value (JSON): [2]")

	r = call(t, cs, "r_eval", map[string]any{"code": "stop('boom')", "session": sess.Session})
	require.True(t, r.IsError)
	assert.Contains(t, text(t, r), "boom")

	pol := call(t, cs, "r_describe_policy", map[string]any{"package": "stats"})
	require.False(t, pol.IsError)
	var desc struct {
		Packages  []string            `json:"packages"`
		Functions map[string][]string `json:"functions"`
	}
	require.NoError(t, json.Unmarshal([]byte(text(t, pol)), &desc))
	assert.Contains(t, desc.Packages, "stats")
	assert.Contains(t, desc.Functions["stats"], "median")
	assert.NotContains(t, desc.Functions, "base", "filtered to one package")

	pk := call(t, cs, "r_list_packages", nil)
	require.False(t, pk.IsError)
	assert.Contains(t, text(t, pk), `"stats"`)

	// The session's files are resources.
	tpl, err := cs.ListResourceTemplates(ctx, nil)
	require.NoError(t, err)
	require.Len(t, tpl.ResourceTemplates, 1)
	assert.Equal(t, "rwarden://session/{session}/files/{name}", tpl.ResourceTemplates[0].URITemplate)
	r = call(t, cs, "r_eval", map[string]any{"code": "writeLines(c('a', 'b'), 'out.txt')", "session": sess.Session})
	require.False(t, r.IsError, text(t, r))
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "rwarden://session/" + sess.Session + "/files/out.txt"})
	require.NoError(t, err)
	require.Len(t, res.Contents, 1)
	assert.Equal(t, "a\nb\n", res.Contents[0].Text)
	// The session is the HTTP API's too.
	get, err := http.NewRequest("GET", strings.TrimSuffix(s.url, "/mcp")+"/v1/sessions/"+sess.Session+"/files/out.txt", nil)
	require.NoError(t, err)
	hr, err := s.httpClient("alice", alicePassword, nil).Do(get)
	require.NoError(t, err)
	body, err := io.ReadAll(hr.Body)
	hr.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, hr.StatusCode)
	assert.Equal(t, "a\nb\n", string(body))
	for _, bad := range []string{"rwarden://session/" + sess.Session + "/files/missing.txt",
		"rwarden://session/" + sess.Session + "/files/..%2Fetc%2Fpasswd",
		"rwarden://session/not-a-session/files/out.txt"} {
		_, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: bad})
		assert.Error(t, err, bad)
	}

	cl := call(t, cs, "r_session_close", map[string]any{"session": sess.Session})
	require.False(t, cl.IsError, text(t, cl))
	r = call(t, cs, "r_eval", map[string]any{"code": "x", "session": sess.Session})
	require.True(t, r.IsError)
	assert.Contains(t, text(t, r), "no such session")

	// Every evaluation names the MCP client in its audit record.
	evals := s.records(t, audit.EventEval)
	require.NotEmpty(t, evals)
	var reads int
	for _, e := range evals {
		assert.Equal(t, "alice", e.User)
		if e.Detail["op"] == "get_file" { // the resource read, audited by the core
			reads++
			continue
		}
		assert.Equal(t, "rwarden-test-agent", e.Detail["mcp_client"])
		assert.Equal(t, "9.8.7", e.Detail["mcp_client_version"])
		assert.Equal(t, "r_eval", e.Detail["mcp_tool"])
	}
	assert.Equal(t, 3, reads, "out.txt twice (MCP, /v1) and missing.txt (the others never reach a session)")
	var denied bool
	for _, e := range evals {
		denied = denied || e.Status == "denied"
	}
	assert.True(t, denied, "the denial is audited")
}

// TestProgress: with a progress token, console output arrives as progress
// notifications while the code runs, long before the result.
func TestProgress(t *testing.T) {
	s := start(t)
	var mu sync.Mutex
	var got []string
	var at []time.Time
	cs, err := s.connect(t, "alice", alicePassword, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			got = append(got, r.Params.Message)
			at = append(at, time.Now())
			mu.Unlock()
		}})
	require.NoError(t, err)
	p := &mcp.CallToolParams{Name: "r_eval", Arguments: map[string]any{
		"code": "for (i in 1:3) { cat('tick', i, '\\n'); Sys.sleep(1) }"}}
	p.SetProgressToken("tok-1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := cs.CallTool(ctx, p)
	require.NoError(t, err)
	end := time.Now()
	require.False(t, r.IsError, text(t, r))
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(got, "")
	assert.Contains(t, all, "tick 1")
	assert.Contains(t, all, "tick 3")
	require.NotEmpty(t, at)
	assert.Greater(t, end.Sub(at[0]), 1500*time.Millisecond, "the first output came while the code ran")
}

// TestRefused: no credentials, wrong credentials, a browser Origin not in
// the allow list, and another user's MCP session are refused, and audited.
func TestRefused(t *testing.T) {
	s := start(t)
	_, err := s.connect(t, "", "", nil)
	require.Error(t, err)

	post := func(c *http.Client, hdr map[string]string) *http.Response {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
		req, err := http.NewRequest("POST", s.url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := post(s.httpClient("", "", nil), nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = post(s.httpClient("alice", alicePassword, nil), map[string]string{"Origin": "https://evil.example.com"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// DNS rebinding: a loopback listener reached under another name (the
	// SDK's own check).
	resp = post(s.httpClient("alice", alicePassword, nil), map[string]string{"Host": "rebound.example.com"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp = post(s.httpClient("alice", alicePassword, nil), map[string]string{"Origin": allowedOrigin})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	sid := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid)
	node, _, _ := strings.Cut(sid, ".")
	assert.Equal(t, s.cfg.NodeName(), node, "the MCP session id names its node")

	// A session of another node (the balancer sent the request here, or
	// its node is gone): 404, so the client starts a new session, with a
	// text naming the node.
	req, err := http.NewRequest("POST", s.url, strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`))
	require.NoError(t, err)
	req.SetBasicAuth("alice", alicePassword)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", "othernode."+strings.TrimPrefix(sid, node+"."))
	other, err := s.httpClient("alice", alicePassword, nil).Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(other.Body)
	other.Body.Close()
	assert.Equal(t, http.StatusNotFound, other.StatusCode)
	assert.Contains(t, string(body), "session belongs to node othernode")

	// Alice's MCP session is not guest's: refused as an unknown one.
	resp = post(s.httpClient("guest", guestPassword, nil), map[string]string{"Mcp-Session-Id": sid})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// An id that was never handed out.
	resp = post(s.httpClient("alice", alicePassword, nil), map[string]string{"Mcp-Session-Id": "NOTASESSION"})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A body above max_code_bytes + 64 KiB is refused before it is parsed.
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"r_eval","arguments":{"code":"` +
		strings.Repeat("1;", int(s.cfg.Listeners[0].MaxCodeBytes)) + `"}}}`
	req, err = http.NewRequest("POST", s.url, strings.NewReader(big))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err = s.httpClient("alice", alicePassword, nil).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	// API tokens, through the same authentication as /v1: a valid one is
	// accepted, an expired one refused and audited (checked below). The
	// valid one goes first: a failure delays this address's next login.
	tokens := auth.TokensFileFor(s.cfg.UsersFile)
	expired, _, err := auth.CreateToken(tokens, "alice", time.Hour, time.Now().Add(-2*time.Hour))
	require.NoError(t, err)
	valid, _, err := auth.CreateToken(tokens, "alice", time.Hour, time.Now())
	require.NoError(t, err)
	resp = post(s.httpClient("", "", nil), map[string]string{"Authorization": "Bearer " + valid})
	assert.Equal(t, http.StatusOK, resp.StatusCode, "valid API token")
	resp = post(s.httpClient("", "", nil), map[string]string{"Authorization": "Bearer " + expired})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "expired API token")

	// Wrong credentials last: the failed login rate-limits alice.
	_, err = s.connect(t, "alice", "wrong", nil)
	require.Error(t, err)

	require.Eventually(t, func() bool {
		var origin, nocreds, other bool
		for _, r := range s.records(t, audit.EventAccessDenied) {
			origin = origin || strings.Contains(r.Error, "bad origin: https://evil.example.com")
			nocreds = nocreds || r.Error == "no credentials"
			other = other || (r.User == "guest" && r.Error == "MCP session of another user")
		}
		var failed, expiredToken bool
		for _, r := range s.records(t, audit.EventAuth) {
			failed = failed || (r.User == "alice" && r.Status != audit.StatusSuccess && r.AuthMethod != string(auth.MethodToken))
			expiredToken = expiredToken || (r.AuthMethod == string(auth.MethodToken) && r.Status != audit.StatusSuccess)
		}
		return origin && nocreds && other && failed && expiredToken
	}, 10*time.Second, 100*time.Millisecond)
}

// TestTimeout: timeout_s stops an evaluation; the session's R state is
// lost with it, and every later evaluation in that session says so instead
// of running silently in a fresh R (issue 14); a new session works.
func TestTimeout(t *testing.T) {
	s := start(t)
	cs, err := s.connect(t, "alice", alicePassword, nil)
	require.NoError(t, err)
	open := call(t, cs, "r_session_open", nil)
	var sess struct {
		Session string `json:"session"`
	}
	require.NoError(t, json.Unmarshal([]byte(text(t, open)), &sess))
	r := call(t, cs, "r_eval", map[string]any{"code": "x <- 1", "session": sess.Session})
	require.False(t, r.IsError, text(t, r))
	t0 := time.Now()
	r = call(t, cs, "r_eval", map[string]any{"code": "Sys.sleep(20)", "session": sess.Session, "timeout_s": 1})
	assert.Less(t, time.Since(t0), 10*time.Second)
	require.True(t, r.IsError)
	assert.Contains(t, text(t, r), "status: timeout")
	assert.Contains(t, text(t, r), "time limit of 1s")
	r = call(t, cs, "r_eval", map[string]any{"code": "'x' %in% ls()", "session": sess.Session})
	require.True(t, r.IsError, text(t, r))
	assert.Contains(t, text(t, r), "R state was lost")
	r = call(t, cs, "r_eval", map[string]any{"code": "1+1"})
	require.False(t, r.IsError, text(t, r))
}

// One user cannot grow the MCP session table without bound by initializing
// over and over: past maxSessionsPerUser live sessions a new one is refused
// (429, audited), another user is not affected, and a session its client
// ends (DELETE) makes room again.
func TestSessionsPerUserBounded(t *testing.T) {
	s := start(t)
	initialize := func(user, password string) *http.Response {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
		req, err := http.NewRequest("POST", s.url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := s.httpClient(user, password, nil).Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var first string
	for i := 0; i < mcpapi.MaxSessionsPerUser; i++ {
		resp := initialize("alice", alicePassword)
		require.Equal(t, http.StatusOK, resp.StatusCode, "session %d", i)
		if first == "" {
			first = resp.Header.Get("Mcp-Session-Id")
		}
	}
	resp := initialize("alice", alicePassword)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "one more than the bound")
	assert.Equal(t, http.StatusOK, initialize("guest", guestPassword).StatusCode, "another user is not affected")

	req, err := http.NewRequest("DELETE", s.url, nil)
	require.NoError(t, err)
	req.Header.Set("Mcp-Session-Id", first)
	del, err := s.httpClient("alice", alicePassword, nil).Do(req)
	require.NoError(t, err)
	del.Body.Close()
	require.Less(t, del.StatusCode, 300, "the client ends its session")
	assert.Equal(t, http.StatusOK, initialize("alice", alicePassword).StatusCode, "an ended session makes room")
}
