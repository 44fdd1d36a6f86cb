package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
)

func ptr[T any](v T) *T { return &v }

// TestAPI runs every endpoint and status code of the API against one
// server: real TLS, real R, the shipped policies.
func TestAPI(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) {
		cfg.Listeners[0].MaxCodeBytes = 4 << 10
		cfg.Limits.Users = map[string]config.LimitSet{
			"guest": {Wall: ptr(config.Duration(2 * time.Second)), Sessions: ptr(1), Output: ptr(config.Size(4 << 10))},
		}
	})

	t.Run("authentication", func(t *testing.T) {
		code, hdr, body := a.do(t, nil, nil, "POST", "/v1/eval", map[string]any{"code": "1+1"})
		assert.Equal(t, http.StatusUnauthorized, code, "%s", body)
		assert.Contains(t, hdr.Get("WWW-Authenticate"), `Basic realm="rwarden"`)

		code, hdr, body = a.do(t, nil, &creds{"alice", "wrong"}, "POST", "/v1/eval", map[string]any{"code": "1+1"})
		assert.Equal(t, http.StatusUnauthorized, code, "%s", body)
		assert.NotEmpty(t, hdr.Get("WWW-Authenticate"))
		// The failed-login limiter of every front end: a second guess
		// right after a failure is refused without checking it.
		code, hdr, body = a.do(t, nil, &creds{"alice", "wrong again"}, "POST", "/v1/eval", map[string]any{"code": "1+1"})
		assert.Equal(t, http.StatusTooManyRequests, code, "%s", body)
		assert.NotEmpty(t, hdr.Get("Retry-After"))
		time.Sleep(1500 * time.Millisecond) // the limiter's delay passes

		code, _, body = a.do(t, nil, nil, "POST", "/v1/eval", map[string]any{"code": "1+1"}, "Authorization", "Bearer abc")
		assert.Equal(t, http.StatusUnauthorized, code, "%s", body)

		// A verified client certificate names its user (demo).
		code, _, body = a.do(t, a.certClient(t), nil, "POST", "/v1/eval", map[string]any{"code": "1+1"})
		require.Equal(t, http.StatusOK, code, "%s", body)
		assert.Equal(t, "[1] 2\n", decode(t, body).Console)
	})

	t.Run("one-shot", func(t *testing.T) {
		tests := []struct {
			name   string
			body   any
			status int
			check  func(t *testing.T, r result)
		}{
			{"value", map[string]any{"code": "1+1"}, 200, func(t *testing.T, r result) {
				assert.Equal(t, "ok", r.Status)
				assert.Equal(t, "[1] 2\n", r.Console)
				assert.JSONEq(t, `[2]`, string(r.Value))
			}},
			{"data frame value", map[string]any{"code": `data.frame(x = 1:2, y = c("a", NA))`}, 200, func(t *testing.T, r result) {
				assert.JSONEq(t, `[{"x":1,"y":"a"},{"x":2}]`, string(r.Value))
			}},
			{"no value", map[string]any{"code": "x <- 3; x * 2", "value": false}, 200, func(t *testing.T, r result) {
				assert.Equal(t, "[1] 6\n", r.Console)
				assert.Empty(t, r.Value)
			}},
			{"function has no JSON", map[string]any{"code": "function(x) x"}, 200, func(t *testing.T, r result) {
				assert.Empty(t, r.Value)
				assert.Contains(t, r.ValueError, "no JSON form")
			}},
			{"messages and warnings", map[string]any{"code": `message("hi"); warning("careful"); 1`}, 200, func(t *testing.T, r result) {
				assert.Equal(t, []string{"hi\n"}, r.Messages)
				assert.Equal(t, []string{"careful"}, r.Warnings)
				assert.Contains(t, r.Console, "hi")
			}},
			{"R error", map[string]any{"code": `cat("before\n"); stop("boom")`}, 400, func(t *testing.T, r result) {
				assert.Equal(t, "error", r.Status)
				assert.Contains(t, r.Error, "boom")
				assert.Equal(t, "before\n", r.Console)
			}},
			{"syntax error", map[string]any{"code": "1 +* 2"}, 400, func(t *testing.T, r result) {
				assert.Equal(t, "syntax_error", r.Status)
			}},
			{"policy denial", map[string]any{"code": "x <- 1\n  system('id')"}, 403, func(t *testing.T, r result) {
				assert.Equal(t, "denied", r.Status)
				require.Len(t, r.Violations, 1)
				v := r.Violations[0]
				assert.Equal(t, "base::system", v.Function)
				assert.Equal(t, "call", v.Act)
				assert.Equal(t, 2, v.Line)
				assert.Equal(t, 3, v.Col)
				assert.NotEmpty(t, v.Rule)
			}},
			{"code too large", map[string]any{"code": strings.Repeat("1", 5<<10)}, 413, nil},
			{"unknown field", `{"code": "1", "cod": 2}`, 400, nil},
			{"trailing data", `{"code": "1"} {}`, 400, nil},
			{"not JSON", `1+1`, 400, nil},
			{"body too large", `{"code": "` + strings.Repeat(" ", 80<<10) + `"}`, 413, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, hdr, body := a.do(t, nil, alice, "POST", "/v1/eval", tt.body)
				require.Equal(t, tt.status, code, "%s", body)
				assert.Equal(t, "application/json", hdr.Get("Content-Type"))
				if tt.check != nil {
					tt.check(t, decode(t, body))
				}
			})
		}
	})

	t.Run("media type", func(t *testing.T) {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
			code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "1"}, "Content-Type", ct)
			assert.Equal(t, http.StatusUnsupportedMediaType, code, "%q: %s", ct, body)
		}
		code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "1"}, "Content-Type", "application/json; charset=utf-8")
		assert.Equal(t, http.StatusOK, code, "%s", body)
	})

	t.Run("time limit", func(t *testing.T) {
		code, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": "Sys.sleep(30)"})
		require.Equal(t, http.StatusGatewayTimeout, code, "%s", body)
		assert.Equal(t, "timeout", decode(t, body).Status)
	})

	t.Run("output limit", func(t *testing.T) {
		code, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": `cat(strrep("x", 10000)); 1`})
		require.Equal(t, http.StatusOK, code, "%s", body)
		r := decode(t, body)
		assert.True(t, r.Truncated)
		assert.LessOrEqual(t, len(r.Console), 4<<10)
		assert.JSONEq(t, `[1]`, string(r.Value))
	})

	t.Run("sessions", func(t *testing.T) {
		code, hdr, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
		require.Equal(t, http.StatusCreated, code, "%s", body)
		var s struct {
			ID      string    `json:"id"`
			Expires time.Time `json:"expires"`
		}
		require.NoError(t, json.Unmarshal(body, &s))
		node := a.core.Node()
		require.True(t, strings.HasPrefix(s.ID, node+"."), "the id %q names its node %q", s.ID, node)
		require.Len(t, strings.TrimPrefix(s.ID, node+"."), 43, "256 bits, base64url")
		assert.Equal(t, "/v1/sessions/"+s.ID, hdr.Get("Location"))
		assert.True(t, s.Expires.After(time.Now()))
		path := "/v1/sessions/" + s.ID

		code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "x <- 41"})
		require.Equal(t, 200, code, "%s", body)
		code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "x + 1"})
		require.Equal(t, 200, code, "%s", body)
		r := decode(t, body)
		assert.JSONEq(t, `[42]`, string(r.Value))
		assert.Equal(t, s.ID, r.Session)

		// Another user's session is answered as an unknown one.
		code, _, body = a.do(t, nil, guest, "POST", path+"/eval", map[string]any{"code": "1"})
		assert.Equal(t, http.StatusNotFound, code, "%s", body)
		code, _, _ = a.do(t, nil, guest, "DELETE", path, nil)
		assert.Equal(t, http.StatusNotFound, code)
		code, _, _ = a.do(t, nil, alice, "POST", "/v1/sessions/"+strings.Repeat("A", 43)+"/eval", map[string]any{"code": "1"})
		assert.Equal(t, http.StatusNotFound, code)
		// A session of another node (behind a load balancer that sent the
		// request here, or whose node is gone) is named as such.
		code, _, body = a.do(t, nil, alice, "POST", "/v1/sessions/othernode."+strings.Repeat("A", 43)+"/eval", map[string]any{"code": "1"})
		assert.Equal(t, http.StatusMisdirectedRequest, code, "%s", body)
		assert.Contains(t, string(body), `"error":"wrong_node"`)
		assert.Contains(t, string(body), "session belongs to node othernode, but this request reached node "+node)
		code, _, body = a.do(t, nil, alice, "POST", "/v1/sessions/"+node+"."+strings.Repeat("A", 43)+"/eval", map[string]any{"code": "1"})
		assert.Equal(t, http.StatusNotFound, code)
		assert.Contains(t, string(body), "no such session on node "+node)

		code, _, _ = a.do(t, nil, alice, "DELETE", path, nil)
		assert.Equal(t, http.StatusNoContent, code)
		code, _, _ = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "x"})
		assert.Equal(t, http.StatusNotFound, code)
	})

	t.Run("session limit", func(t *testing.T) {
		code, _, body := a.do(t, nil, guest, "POST", "/v1/sessions", "{}")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		var s struct{ ID string }
		require.NoError(t, json.Unmarshal(body, &s))
		code, hdr, body := a.do(t, nil, guest, "POST", "/v1/sessions", nil)
		assert.Equal(t, http.StatusTooManyRequests, code, "%s", body)
		assert.NotEmpty(t, hdr.Get("Retry-After"))
		// A one-shot evaluation needs a session too.
		code, _, _ = a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": "1"})
		assert.Equal(t, http.StatusTooManyRequests, code)
		code, _, _ = a.do(t, nil, guest, "DELETE", "/v1/sessions/"+s.ID, nil)
		assert.Equal(t, http.StatusNoContent, code)
		code, _, _ = a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": "1"})
		assert.Equal(t, http.StatusOK, code)
	})

	t.Run("unknown endpoint", func(t *testing.T) {
		code, _, _ := a.do(t, nil, alice, "GET", "/v2/nothing", nil)
		assert.Equal(t, http.StatusNotFound, code)
		code, _, _ = a.do(t, nil, alice, "GET", "/v1/eval", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, code)
	})
}

// authRecords counts the successful logins of user in the audit trail.
func authRecords(t *testing.T, a *api, user string) int {
	t.Helper()
	n := 0
	_, err := audit.Query([]string{a.cfg.Audit.File}, audit.Filter{Event: audit.EventAuth}, func(r *audit.Record) error {
		if r.User == user && r.Status == audit.StatusSuccess {
			n++
		}
		return nil
	})
	require.NoError(t, err)
	return n
}

// TestKeepAliveLogin: requests on one keep-alive connection with the same
// credentials authenticate once; a new connection, or other credentials,
// authenticate again.
func TestKeepAliveLogin(t *testing.T) {
	a := startAPI(t, nil)
	client := func() *http.Client {
		tr := a.client.Transport.(*http.Transport).Clone()
		tr.MaxConnsPerHost = 1
		return &http.Client{Transport: tr, Timeout: time.Minute}
	}
	c1 := client()
	before := authRecords(t, a, "alice")
	for range 3 {
		code, _, body := a.do(t, c1, alice, "POST", "/v1/eval", map[string]any{"code": "1"})
		require.Equal(t, 200, code, "%s", body)
	}
	assert.Equal(t, before+1, authRecords(t, a, "alice"), "one login for three requests")

	code, _, _ := a.do(t, c1, &creds{"alice", "not the password"}, "POST", "/v1/eval", map[string]any{"code": "1"})
	assert.Equal(t, http.StatusUnauthorized, code, "other credentials are checked")
	time.Sleep(1500 * time.Millisecond) // the limiter's delay after that failure

	code, _, _ = a.do(t, client(), alice, "POST", "/v1/eval", map[string]any{"code": "1"})
	require.Equal(t, 200, code)
	assert.Equal(t, before+2, authRecords(t, a, "alice"), "a new connection logs in again")
}
