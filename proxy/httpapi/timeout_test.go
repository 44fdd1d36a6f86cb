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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// TestReadTimeouts: a client that sends its body too slowly is cut off at
// the listener's read_timeout, while evaluations and session requests
// longer than it are answered in full.
func TestReadTimeouts(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) { cfg.Listeners[0].ReadTimeout = config.Duration(time.Second) })
	tr := a.client.Transport.(*http.Transport)

	t.Run("slow body", func(t *testing.T) {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(a.url, "https://"), tr.TLSClientConfig)
		require.NoError(t, err)
		defer conn.Close()
		start := time.Now()
		_, err = io.WriteString(conn, "POST /v1/eval HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6d29uZGVybGFuZC00Mg==\r\n"+
			"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\": ")
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(8*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "an answer, not a hang")
		defer resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Less(t, time.Since(start), 5*time.Second, "cut off near the read timeout")
	})

	t.Run("long evaluation in a session", func(t *testing.T) {
		code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
		require.Equal(t, http.StatusCreated, code, "%s", body)
		var s struct{ ID string }
		require.NoError(t, json.Unmarshal(body, &s))
		code, _, body = a.do(t, nil, alice, "POST", "/v1/sessions/"+s.ID+"/eval", map[string]any{"code": "Sys.sleep(2.5); 7"})
		require.Equal(t, http.StatusOK, code, "%s", body)
		assert.JSONEq(t, `[7]`, string(decode(t, body).Value))
		code, _, body = a.do(t, nil, alice, "GET", "/v1/sessions/"+s.ID+"/data/x", nil)
		assert.Equal(t, http.StatusNotFound, code, "%s", body)
	})
}

// TestIdleSession: a session nobody uses within the user's idle limit is
// closed, and its id is then unknown.
func TestIdleSession(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) {
		cfg.Limits.Users = map[string]config.LimitSet{"alice": {Idle: ptr(config.Duration(time.Second))}}
	})
	code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &s))
	code, _, _ = a.do(t, nil, alice, "POST", "/v1/sessions/"+s.ID+"/eval", map[string]any{"code": "1"})
	require.Equal(t, http.StatusOK, code)
	time.Sleep(2500 * time.Millisecond)
	code, _, _ = a.do(t, nil, alice, "POST", "/v1/sessions/"+s.ID+"/eval", map[string]any{"code": "1"})
	assert.Equal(t, http.StatusNotFound, code)
}
