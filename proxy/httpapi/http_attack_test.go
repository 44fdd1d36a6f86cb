package httpapi_test

import (
	"bufio"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// Attacks by authenticated but restricted users (alice, guest) on the
// HTTP API's names, uploads and sessions, against a real server.

// openSession opens a session for who and returns its path.
func (a *api) openSession(t *testing.T, who *creds) string {
	t.Helper()
	code, _, body := a.do(t, nil, who, "POST", "/v1/sessions", nil)
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &s))
	return "/v1/sessions/" + s.ID
}

// TestAttackFileNames: no spelling of a file name reaches outside the
// session's scratch directory, neither to write nor to read.
func TestAttackFileNames(t *testing.T) {
	a := startAPI(t, nil)
	path := a.openSession(t, alice)
	names := []string{
		"..%2F..%2F..%2Fetc%2Fpasswd",
		"%2Fetc%2Fpasswd",
		"%2e%2e",
		"%2e%2e%2fx",
		"a%2Fb",
		"a%5Cb",
		"a%00b",
		"x%00.csv",
		".Rprofile",
		"-rf",
		"%EF%BC%8E%EF%BC%8E%EF%BC%8Fpasswd", // fullwidth "../"
		"a%E2%80%AEtxt.exe",                 // right-to-left override
		"%C0%AE%C0%AE",                      // overlong "."
		strings.Repeat("a", 129),
		"a%20b",
		"a%0Ab",
	}
	for _, n := range names {
		t.Run(n[:min(len(n), 40)], func(t *testing.T) {
			code, _, body := a.do(t, nil, alice, "PUT", path+"/files/"+n, "owned")
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code, "PUT: %s", body)
			code, _, body = a.do(t, nil, alice, "GET", path+"/files/"+n, nil)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code, "GET: %s", body)
			assert.NotContains(t, string(body), "root:")
		})
	}
	// Unescaped dot segments are cleaned by the router: the cleaned path
	// is a redirect (never followed here) or an unknown route, never a file.
	noRedirect := *a.client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, p := range []string{path + "/files/../../../etc/passwd", path + "/files/./../files/x", "/v1/sessions/../sessions/x/files/y"} {
		req, err := http.NewRequest("GET", a.url+p, nil)
		require.NoError(t, err)
		req.URL.Opaque = p // send the path as written, uncleaned
		req.SetBasicAuth(alice.user, alice.pass)
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "%s: %s", p, b)
		assert.NotContains(t, string(b), "root:")
	}
	// The session still works after all that.
	code, _, body := a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": `grep("^Rtmp", list.files(all.files = TRUE, no.. = TRUE), invert = TRUE, value = TRUE)`})
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.JSONEq(t, `[]`, string(decode(t, body).Value), "nothing was written to the scratch directory")
}

// TestAttackDataNames: data names that would be R syntax are refused
// before anything is evaluated; hostile cells and column names of an
// upload stay data.
func TestAttackDataNames(t *testing.T) {
	a := startAPI(t, nil)
	path := a.openSession(t, alice)
	for _, n := range []string{
		"a%3Bsystem(%22id%22)", // a;system("id")
		"%60x%60",              // `x`
		"x'",
		"x%22",
		"a%20b",
		"x%0A1",
		"T%28%29",
		"..1",
		".x",
		"_x",
		"function",
		"NULL",
		"%CE%B1", // α: a letter to R in a UTF-8 locale, refused here
		strings.Repeat("a", 65),
	} {
		t.Run(n, func(t *testing.T) {
			code, _, body := a.do(t, nil, alice, "POST", path+"/data/"+n, `[{"a":1}]`)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code, "POST: %s", body)
			code, _, body = a.do(t, nil, alice, "GET", path+"/data/"+n, nil)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code, "GET: %s", body)
		})
	}

	// Cells and column names that are code elsewhere (a spreadsheet
	// formula, R, shell) come back as the same text.
	hostile := [][]string{
		{"a", "b`; system('id'); `", `"); system("id"); ("`, "=cmd|' /C calc'!A0"},
		{"=1+2", "$(id)", "`rm -rf /`", "\x01\\x00"},
		{"@SUM(1)", "NA_character_", "';quit('no');'", "%s%n"},
	}
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	require.NoError(t, w.WriteAll(hostile))
	code, _, body := a.do(t, nil, alice, "POST", path+"/data/h", sb.String(), "Content-Type", "text/csv")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	code, _, body = a.do(t, nil, alice, "GET", path+"/data/h?format=csv", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	back, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, hostile, back)
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "c(names(h), sapply(h, class))"})
	require.Equal(t, http.StatusOK, code, "%s", body)
	var got []string
	require.NoError(t, json.Unmarshal(decode(t, body).Value, &got))
	assert.Equal(t, append(append([]string{}, hostile[0]...), "character", "character", "character", "character"), got)
}

// TestAttackOtherUsersSession: another user's session id is exactly as
// unknown as a made-up one, for every route, and the session is unharmed.
func TestAttackOtherUsersSession(t *testing.T) {
	a := startAPI(t, nil)
	path := a.openSession(t, alice)
	code, _, body := a.do(t, nil, alice, "PUT", path+"/files/secret.txt", "alice's secret")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "s <- 42"})
	require.Equal(t, http.StatusOK, code, "%s", body)
	fake := "/v1/sessions/" + strings.Repeat("A", 43)
	for _, r := range []struct{ method, suffix, body string }{
		{"GET", "/files/secret.txt", ""},
		{"PUT", "/files/secret.txt", "guest was here"},
		{"GET", "/data/s", ""},
		{"POST", "/data/s", `[{"a":1}]`},
		{"POST", "/eval", `{"code":"s"}`},
		{"GET", "/plots/1.png", ""},
		{"DELETE", "", ""},
	} {
		t.Run(r.method+r.suffix, func(t *testing.T) {
			var b any
			if r.body != "" {
				b = r.body
			}
			code, _, other := a.do(t, nil, guest, r.method, path+r.suffix, b)
			fcode, _, unknown := a.do(t, nil, guest, r.method, fake+r.suffix, b)
			assert.Equal(t, http.StatusNotFound, code, "%s", other)
			assert.Equal(t, fcode, code)
			assert.Equal(t, string(unknown), string(other), "the answers must not tell the two apart")
		})
	}
	code, _, body = a.do(t, nil, alice, "GET", path+"/files/secret.txt", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.Equal(t, "alice's secret", string(body))
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "s"})
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.JSONEq(t, `[42]`, string(decode(t, body).Value))
}

// TestAttackHostileValues: values whose JSON form would be huge, deep or
// meaningless are refused (value_error) without harming the server.
func TestAttackHostileValues(t *testing.T) {
	a := startAPI(t, nil)
	path := a.openSession(t, alice)
	for _, tt := range []struct{ name, code string }{
		{"deep list", "x <- list(); for (i in 1:2000) x <- list(x); x"},
		{"environment", "new.env()"},
		{"closure", "function(x) x"},
		{"huge string", `strrep("a", 4e7)`},
		{"JSON above its bound", `rep(strrep("a", 1e6), 40)`},
		{"language", "quote(system('id'))"},
		{"external pointer", "getNativeSymbolInfo('R_CHAR')$address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": tt.code})
			require.Contains(t, []int{http.StatusOK, http.StatusForbidden, http.StatusUnprocessableEntity}, code, "%.300s", body)
			r := decode(t, body)
			if code == http.StatusOK {
				assert.True(t, len(r.Value) == 0 || string(r.Value) == "null", "no JSON value: %.200s", r.Value)
				assert.NotEmpty(t, r.ValueError+r.Error, "%.300s", body)
			}
			assert.Less(t, len(body), 40<<20, "the answer is bounded")
		})
	}
	code, _, body := a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "1 + 1"})
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.JSONEq(t, `[2]`, string(decode(t, body).Value))
}

// rawConn is a TLS connection to a's listener for hand-written requests.
func (a *api) rawConn(t *testing.T) *tls.Conn {
	t.Helper()
	tr := a.client.Transport.(*http.Transport)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(a.url, "https://"), tr.TLSClientConfig)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestAttackRawHTTP: malformed and hostile HTTP/1.1 from an anonymous
// client is refused without reaching R, and slow clients are cut off.
func TestAttackRawHTTP(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) { cfg.Listeners[0].ReadTimeout = config.Duration(2 * time.Second) })
	const auth = "Authorization: Basic YWxpY2U6d29uZGVybGFuZC00Mg==\r\n" // alice

	send := func(t *testing.T, raw string) (*http.Response, string) {
		t.Helper()
		conn := a.rawConn(t)
		_, err := io.WriteString(conn, raw)
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Whatever follows the first answer: a second one means the
		// server read a second request out of the first one's body.
		rest, _ := io.ReadAll(br)
		return resp, string(b) + "|" + string(rest)
	}

	t.Run("huge header block", func(t *testing.T) {
		resp, _ := send(t, "GET /v1/sessions/x/files/y HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("a", 200<<10)+"\r\n\r\n")
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	})
	t.Run("conflicting content lengths", func(t *testing.T) {
		resp, _ := send(t, "POST /v1/eval HTTP/1.1\r\nHost: x\r\n"+auth+"Content-Type: application/json\r\n"+
			"Content-Length: 13\r\nContent-Length: 40\r\n\r\n{\"code\":\"1\"}\n")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
	t.Run("content length and chunked", func(t *testing.T) {
		// A front proxy trusting Content-Length would see one request; the
		// smuggled GET must not be answered as a second one.
		smuggled := "GET /v1/sessions/x HTTP/1.1\r\nHost: x\r\n\r\n"
		body := "0\r\n\r\n" + smuggled
		resp, rest := send(t, "POST /v1/eval HTTP/1.1\r\nHost: x\r\n"+auth+"Content-Type: application/json\r\n"+
			"Content-Length: "+strconv.Itoa(len(body))+"\r\nTransfer-Encoding: chunked\r\n\r\n"+body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", rest)
		assert.NotContains(t, rest, "HTTP/1.1", "only one answer on the connection")
	})
	t.Run("unknown transfer coding", func(t *testing.T) {
		resp, _ := send(t, "POST /v1/eval HTTP/1.1\r\nHost: x\r\n"+auth+"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
		assert.GreaterOrEqual(t, resp.StatusCode, 400)
	})
	t.Run("slowloris headers", func(t *testing.T) {
		conn := a.rawConn(t)
		start := time.Now()
		line := "GET /v1/sessions/x HTTP/1.1\r\nHost: x\r\nX-A: "
		var werr error
		for i := 0; werr == nil && time.Since(start) < 20*time.Second; i++ {
			_, werr = io.WriteString(conn, line[i%len(line):i%len(line)+1])
			time.Sleep(200 * time.Millisecond)
			if i > len(line) {
				line = strings.Repeat("a", len(line))
			}
			// The server closes the connection (possibly after a 408):
			// a read with a short deadline sees it.
			_ = conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			var one [1]byte
			if _, err := conn.Read(one[:]); err != nil && !isTimeout(err) {
				break
			}
		}
		assert.Less(t, time.Since(start), 6*time.Second, "cut off near the 2 s read timeout")
	})
	t.Run("other users' ids are not probed by anonymous clients", func(t *testing.T) {
		resp, _ := send(t, "GET /v1/sessions/x/files/y HTTP/1.1\r\nHost: x\r\n\r\n")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
