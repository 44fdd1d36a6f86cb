package httpapi_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/apitest"
	"github.com/rwarden/rwarden/internal/workertest"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/setup"
)

// TestMain lets this test binary serve as the worker init, as rwarden does.
func TestMain(m *testing.M) { workertest.Main(m) }

var cheapArgon = apitest.CheapArgon

const (
	alicePassword = apitest.AlicePassword
	guestPassword = apitest.GuestPassword
)

// api is a real core with the HTTP front end on a TLS listener.
type api struct {
	url    string
	cfg    *config.Config
	st     *setup.DefaultState
	client *http.Client
	core   *core.Core
}

// startAPI starts a core (real R workers) and serves the HTTP front end on
// a loopback TLS listener; mod may change the configuration first.
func startAPI(t *testing.T, mod func(*config.Config)) *api {
	t.Helper()
	s := apitest.Start(t, "rwarden-http-", mod, nil)
	return &api{url: s.URL, cfg: s.Cfg, st: s.State, core: s.Core, client: s.Client(3 * time.Minute)}
}

// certClient is a client presenting the demo user's certificate.
func (a *api) certClient(t *testing.T) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(a.st.DemoCert, a.st.DemoKey)
	require.NoError(t, err)
	tr := a.client.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return &http.Client{Timeout: 3 * time.Minute, Transport: tr}
}

type creds struct{ user, pass string }

var (
	alice = &creds{"alice", alicePassword}
	guest = &creds{"guest", guestPassword}
)

// do sends a request (body JSON-encoded unless it is a string) and returns
// the status, headers and body.
func (a *api) do(t *testing.T, c *http.Client, who *creds, method, path string, body any, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		rd = strings.NewReader(string(j))
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	require.NoError(t, err)
	if who != nil {
		req.SetBasicAuth(who.user, who.pass)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = a.client
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// result is the JSON answer of an evaluation (or an error).
type result struct {
	Session    string          `json:"session"`
	Status     string          `json:"status"`
	Console    string          `json:"console"`
	Messages   []string        `json:"messages"`
	Warnings   []string        `json:"warnings"`
	Error      string          `json:"error"`
	Message    string          `json:"message"`
	Value      json.RawMessage `json:"value"`
	ValueError string          `json:"value_error"`
	Truncated  bool            `json:"truncated"`
	HTTPStatus int             `json:"http_status"`
	Violations []struct {
		Function string `json:"function"`
		Act      string `json:"act"`
		Line     int    `json:"line"`
		Col      int    `json:"col"`
		Rule     string `json:"rule"`
	} `json:"violations"`
}

func decode(t *testing.T, b []byte) result {
	t.Helper()
	var r result
	require.NoError(t, json.Unmarshal(b, &r), "body: %s", b)
	return r
}

// event is one server-sent event and when it arrived.
type event struct {
	name string
	data string
	at   time.Duration
}

// readEvents reads server-sent events until the stream ends, stamping each
// with its arrival time since start.
func readEvents(t *testing.T, body io.Reader, start time.Time) []event {
	t.Helper()
	var evs []event
	var cur event
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" {
				cur.at = time.Since(start)
				evs = append(evs, cur)
			}
			cur = event{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
	require.NoError(t, sc.Err())
	return evs
}
