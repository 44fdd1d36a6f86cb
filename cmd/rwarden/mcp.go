package main

// rwarden mcp: a stdio bridge to the MCP server of an rwarden HTTP
// listener, for desktop agents that start MCP servers as local processes
// and speak JSON-RPC on their standard input and output. Each message read
// on stdin is POSTed to https://ADDR/mcp with the user's credentials; the
// server's answers (a JSON body, or the events of a stream) are written to
// stdout, one message a line. It keeps the MCP session id and protocol
// version the server hands out. It forwards; it decides nothing: the
// server authenticates, checks, runs and audits.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newMCPCmd()) }

// maxMCPMessage bounds one JSON-RPC message in either direction (an
// answer may carry plots as base64 images).
const maxMCPMessage = 64 << 20

type mcpFlags struct {
	addr, user, tlsCA, cert, key, serverName, path string
	plaintext                                      bool
	timeout                                        time.Duration
}

func newMCPCmd() *cobra.Command {
	var f mcpFlags
	cmd := &cobra.Command{
		Use:   "mcp --addr HOST:PORT",
		Short: "Bridge an MCP client on stdin/stdout to an rwarden server's /mcp",
		Long: `Bridge a Model Context Protocol client that speaks JSON-RPC on standard input and
output (desktop agents that start MCP servers as local commands) to the MCP server
of an rwarden HTTP listener (https://HOST:PORT/mcp).

Credentials as for rwarden eval: --user with the password in RWARDEN_PASSWORD,
or a client certificate (--cert, --key). The server certificate is verified
against --tls-ca (default: the system roots). Logs go to standard error.`,
		Example: `  RWARDEN_PASSWORD=... rwarden mcp --addr 127.0.0.1:9444 --tls-ca pki/ca.pem --user alice`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runMCP(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "", "server address HOST:PORT of an http listener")
	fl.StringVar(&f.path, "path", "/mcp", "path of the MCP endpoint")
	fl.BoolVar(&f.plaintext, "plaintext", false, "use http:// (only for a plaintext loopback listener)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "CA certificate(s) to verify the server with (default: system roots)")
	fl.StringVar(&f.cert, "cert", "", "client certificate (PEM)")
	fl.StringVar(&f.key, "key", "", "client certificate key (PEM)")
	fl.StringVar(&f.serverName, "server-name", "", "name to verify the server certificate against (default: the host of --addr)")
	fl.StringVar(&f.user, "user", "", "user name (password from RWARDEN_PASSWORD)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up on one request after this long")
	return cmd
}

func runMCP(cmd *cobra.Command, f mcpFlags) error {
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return withExit(evalExitFailure, fmt.Errorf("--addr %q: %w", f.addr, err))
	}
	if (f.cert == "") != (f.key == "") {
		return withExit(evalExitFailure, errors.New("--cert and --key go together"))
	}
	b := &mcpBridge{out: bufio.NewWriter(cmd.OutOrStdout()), log: cmd.ErrOrStderr(), timeout: f.timeout}
	if f.user != "" {
		pw, ok := os.LookupEnv("RWARDEN_PASSWORD")
		if !ok {
			// stdin is the protocol: there is no terminal to ask on.
			return withExit(evalExitFailure, errors.New("--user needs the password in RWARDEN_PASSWORD"))
		}
		b.user, b.pass = f.user, pw
	}
	tr := &http.Transport{ForceAttemptHTTP2: false, MaxIdleConnsPerHost: 4, ResponseHeaderTimeout: f.timeout}
	scheme := "http"
	if !f.plaintext {
		scheme = "https"
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if f.serverName != "" {
			cfg.ServerName = f.serverName
		}
		if f.tlsCA != "" {
			pem, err := os.ReadFile(f.tlsCA)
			if err != nil {
				return withExit(evalExitFailure, fmt.Errorf("reading --tls-ca: %w", err))
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return withExit(evalExitFailure, fmt.Errorf("--tls-ca %s holds no PEM certificate", f.tlsCA))
			}
		}
		if f.cert != "" {
			pair, err := tls.LoadX509KeyPair(f.cert, f.key)
			if err != nil {
				return withExit(evalExitFailure, fmt.Errorf("loading client certificate: %w", err))
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		tr.TLSClientConfig = cfg
	}
	b.client = &http.Client{Transport: tr}
	b.url = scheme + "://" + f.addr + f.path
	return b.run(cmd.Context(), cmd.InOrStdin())
}

// mcpBridge forwards messages between stdio and the server.
type mcpBridge struct {
	client     *http.Client
	url        string
	user, pass string
	timeout    time.Duration
	log        io.Writer

	outMu sync.Mutex
	out   *bufio.Writer

	mu        sync.Mutex
	sessionID string
	version   string
}

func (b *mcpBridge) run(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxMCPMessage)
	var wg sync.WaitGroup
	first := true
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		msg := append([]byte(nil), line...)
		if first || !isCall(msg) {
			// The first message is initialize: the session id and protocol
			// version come with its answer, and every later message needs
			// them, so it goes alone. Notifications and answers go in
			// order (notifications/initialized before the next call).
			first = false
			b.forward(ctx, msg)
			continue
		}
		// Calls run concurrently: a long evaluation does not hold up a
		// cancellation or a listing.
		wg.Add(1)
		go func() { defer wg.Done(); b.forward(ctx, msg) }()
	}
	wg.Wait()
	b.closeSession()
	if err := sc.Err(); err != nil {
		return withExit(evalExitFailure, fmt.Errorf("reading stdin: %w", err))
	}
	return nil
}

// isCall reports whether msg is a request (it has a method and an id).
func isCall(msg []byte) bool {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	return json.Unmarshal(msg, &m) == nil && m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null"
}

// forward POSTs one message and writes what comes back.
func (b *mcpBridge) forward(ctx context.Context, msg []byte) {
	var head mcpHead
	_ = json.Unmarshal(msg, &head)
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(msg))
	if err != nil {
		b.fail(head.ID, err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	b.headers(req)
	head.setHeaders(req)
	resp, err := b.client.Do(req)
	if err != nil {
		b.fail(head.ID, "rwarden mcp: the server could not be reached: "+err.Error())
		return
	}
	defer resp.Body.Close()
	b.mu.Lock()
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
		b.sessionID = sid
	}
	b.mu.Unlock()
	switch {
	case resp.StatusCode == http.StatusAccepted:
		return
	case resp.StatusCode >= 300:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		b.fail(head.ID, fmt.Sprintf("rwarden mcp: the server answered %s: %s", resp.Status, strings.TrimSpace(string(body))))
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "text/event-stream" {
		b.events(resp.Body, head.Method == "initialize")
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMCPMessage+1))
	if err != nil || len(body) > maxMCPMessage {
		b.fail(head.ID, "rwarden mcp: the answer could not be read")
		return
	}
	b.emit(body, head.Method == "initialize")
}

// mcpHead is what the bridge reads of a message: its id and method, and
// what protocol 2026-07-28 wants repeated in HTTP headers.
type mcpHead struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name string `json:"name"`
		URI  string `json:"uri"`
		Meta struct {
			ProtocolVersion string `json:"io.modelcontextprotocol/protocolVersion"`
		} `json:"_meta"`
	} `json:"params"`
}

// setHeaders sets the headers of a request of protocol 2026-07-28 and
// later (the version is in the message's _meta): the server routes and
// checks by them.
func (h *mcpHead) setHeaders(req *http.Request) {
	v := h.Params.Meta.ProtocolVersion
	if v == "" {
		return
	}
	req.Header.Set("Mcp-Protocol-Version", v)
	if h.Method != "" {
		req.Header.Set("Mcp-Method", headerValue(h.Method))
	}
	switch h.Method {
	case "tools/call", "prompts/get":
		req.Header.Set("Mcp-Name", headerValue(h.Params.Name))
	case "resources/read":
		req.Header.Set("Mcp-Name", headerValue(h.Params.URI))
	}
}

// headerValue is s as a header value: itself when it is printable ASCII
// without spaces at its ends (which HTTP drops), else base64 in the
// protocol's =?base64?...?= form.
func headerValue(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e || ((i == 0 || i == len(s)-1) && s[i] == ' ') {
			return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
		}
	}
	return s
}

func (b *mcpBridge) headers(req *http.Request) {
	if b.user != "" {
		req.SetBasicAuth(b.user, b.pass)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sessionID != "" {
		req.Header.Set("Mcp-Session-Id", b.sessionID)
	}
	if b.version != "" {
		req.Header.Set("Mcp-Protocol-Version", b.version)
	}
}

// events writes the data of each server-sent event as one message.
func (b *mcpBridge) events(r io.Reader, initialize bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxMCPMessage)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				b.emit(data, initialize)
				data = nil
			}
		case bytes.HasPrefix(line, []byte("data:")):
			d := bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, d...)
		}
	}
	if len(data) > 0 {
		b.emit(data, initialize)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(b.log, "rwarden mcp: reading the server's stream: %v\n", err)
	}
}

// emit writes one message to stdout, noting the protocol version of an
// initialize answer.
func (b *mcpBridge) emit(msg []byte, initialize bool) {
	msg = bytes.TrimSpace(msg)
	if !json.Valid(msg) {
		fmt.Fprintln(b.log, "rwarden mcp: the server sent a message that is not JSON; dropped")
		return
	}
	if initialize {
		var r struct {
			Result struct {
				ProtocolVersion string `json:"protocolVersion"`
			} `json:"result"`
		}
		if json.Unmarshal(msg, &r) == nil && r.Result.ProtocolVersion != "" {
			b.mu.Lock()
			b.version = r.Result.ProtocolVersion
			b.mu.Unlock()
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, msg); err != nil {
		return
	}
	buf.WriteByte('\n')
	b.outMu.Lock()
	defer b.outMu.Unlock()
	_, _ = b.out.Write(buf.Bytes())
	_ = b.out.Flush()
}

// fail answers a request the bridge could not forward with a JSON-RPC
// error (notifications get none; the reason goes to stderr).
func (b *mcpBridge) fail(id json.RawMessage, msg string) {
	fmt.Fprintln(b.log, msg)
	if len(id) == 0 || string(id) == "null" {
		return
	}
	e, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": -32603, "message": msg}})
	b.emit(e, false)
}

// closeSession ends the MCP session at the server when stdin ends.
func (b *mcpBridge) closeSession() {
	b.mu.Lock()
	sid := b.sessionID
	b.mu.Unlock()
	if sid == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, b.url, nil)
	if err != nil {
		return
	}
	b.headers(req)
	if resp, err := b.client.Do(req); err == nil {
		resp.Body.Close()
	}
}
