package httpapi_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// form sends a request with a form body (or JSON when ct says so).
func (a *api) form(t *testing.T, who *creds, method, path, ct, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	return a.do(t, nil, who, method, path, body, append([]string{"Content-Type", ct}, hdr...)...)
}

const formCT = "application/x-www-form-urlencoded"

// TestOpenCPU runs the OpenCPU-compatible subset against a real server:
// TLS, real R, the shipped policies.
func TestOpenCPU(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) {
		cfg.Listeners[0].MaxCodeBytes = 4 << 10
		cfg.Limits.Users = map[string]config.LimitSet{
			"guest": {Wall: ptr(config.Duration(2 * time.Second))},
		}
	})

	t.Run("curl rnorm json", func(t *testing.T) {
		// The unmodified OpenCPU example, with credentials and the CA.
		out, err := exec.Command("curl", "-sS", "--fail-with-body", "--cacert", a.st.PKI.CACertPath,
			"-u", "alice:"+alicePassword, "--connect-to", "localhost::"+strings.TrimPrefix(a.url, "https://"),
			"-X", "POST", "https://localhost/ocpu/library/stats/R/rnorm/json", "-d", "n=3").CombinedOutput()
		require.NoError(t, err, "%s", out)
		var nums []float64
		require.NoError(t, json.Unmarshal(out, &nums), "%s", out)
		assert.Len(t, nums, 3)
	})

	t.Run("session flow", func(t *testing.T) {
		code, hdr, body := a.form(t, alice, "POST", "/ocpu/library/stats/R/rnorm", formCT, "n=3&mean=10")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		key := hdr.Get("X-ocpu-session")
		require.Regexp(t, `^x[0-9a-f]{32}$`, key)
		assert.Equal(t, "/ocpu/tmp/"+key+"/", hdr.Get("Location"))
		base := "/ocpu/tmp/" + key + "/"
		assert.Equal(t, base+"R/.val\n"+base+"stdout\n"+base+"console\n", string(body))

		code, _, body = a.do(t, nil, alice, "GET", base+"R/.val/json", nil)
		require.Equal(t, http.StatusOK, code, "%s", body)
		var nums []float64
		require.NoError(t, json.Unmarshal(body, &nums), "%s", body)
		require.Len(t, nums, 3)
		for _, x := range nums {
			assert.InDelta(t, 10, x, 8, "mean = 10 reached R")
		}
		code, _, body = a.do(t, nil, alice, "GET", base+"R/.val/print", nil)
		require.Equal(t, http.StatusOK, code, "%s", body)
		assert.True(t, strings.HasPrefix(string(body), "[1] "), "%s", body)
		code, _, stdout := a.do(t, nil, alice, "GET", base+"stdout/text", nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, string(body), string(stdout))
		code, _, body = a.do(t, nil, alice, "GET", base+"console/text", nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "> rnorm(mean = 10, n = 3)\n"+string(stdout), string(body))
		code, _, body = a.do(t, nil, alice, "GET", base, nil)
		require.Equal(t, http.StatusOK, code)
		assert.Contains(t, string(body), base+"R/.val\n")
		code, _, body = a.do(t, nil, alice, "GET", base+"R/.val", nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, string(stdout), string(body), "the value printed by default")
		code, _, body = a.do(t, nil, alice, "GET", base+"stdout", nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, string(stdout), string(body))
		code, hdr, body = a.do(t, nil, alice, "GET", base+"R/.val/rds", nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "application/r-rds", hdr.Get("Content-Type"))
		assert.True(t, bytes.HasPrefix(body, []byte("X\n")), "an uncompressed RDS stream")

		// The key is bound to its user.
		code, _, body = a.do(t, nil, guest, "GET", base+"R/.val/json", nil)
		assert.Equal(t, http.StatusNotFound, code, "%s", body)
		code, _, _ = a.do(t, nil, nil, "GET", base+"R/.val/json", nil)
		assert.Equal(t, http.StatusUnauthorized, code)
		code, _, _ = a.do(t, nil, alice, "GET", "/ocpu/tmp/x00000000000000000000000000000000/R/.val/json", nil)
		assert.Equal(t, http.StatusNotFound, code)
	})

	t.Run("chained calls", func(t *testing.T) {
		code, hdr, body := a.form(t, alice, "POST", "/ocpu/library/base/R/seq", formCT, "from=1&to=5")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		key := hdr.Get("X-ocpu-session")
		code, _, body = a.form(t, alice, "POST", "/ocpu/library/base/R/sum/json", formCT, "x="+key)
		require.Equal(t, http.StatusCreated, code, "%s", body)
		assert.JSONEq(t, `[15]`, string(body))
		// Another user's key is unknown to them.
		code, _, body = a.form(t, guest, "POST", "/ocpu/library/base/R/sum/json", formCT, "x="+key)
		assert.Equal(t, http.StatusBadRequest, code, "%s", body)
		assert.Contains(t, string(body), "no session")
		// A value that is not plain data is not passed on.
		code, hdr, body = a.form(t, alice, "POST", "/ocpu/library/base/R/identity", formCT, "x=function() 1")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		code, _, body = a.form(t, alice, "POST", "/ocpu/library/base/R/print/print", formCT, "x="+hdr.Get("X-ocpu-session"))
		assert.Equal(t, http.StatusBadRequest, code, "%s", body)
		assert.Contains(t, string(body), "cannot be passed on")
	})

	t.Run("json arguments", func(t *testing.T) {
		code, hdr, body := a.form(t, alice, "POST", "/ocpu/library/base/R/paste/json", "application/json",
			`{"x": ["a", "b\"); system(\"id"], "collapse": "+"}`)
		require.Equal(t, http.StatusCreated, code, "%s", body)
		assert.NotEmpty(t, hdr.Get("X-ocpu-session"))
		assert.JSONEq(t, `["a+b\"); system(\"id"]`, string(body), "a JSON string stays data")
	})

	t.Run("multipart arguments", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		require.NoError(t, mw.WriteField("x", "c(1, 2, 3)"))
		require.NoError(t, mw.Close())
		code, _, body := a.form(t, alice, "POST", "/ocpu/library/base/R/sum/json", mw.FormDataContentType(), b.String())
		require.Equal(t, http.StatusCreated, code, "%s", body)
		assert.JSONEq(t, `[6]`, string(body))
	})

	t.Run("csv and print", func(t *testing.T) {
		code, hdr, body := a.form(t, alice, "POST", "/ocpu/library/base/R/data.frame/csv", formCT, "x=1:2&y=c('a','b')")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		assert.Contains(t, hdr.Get("Content-Type"), "text/csv")
		assert.Equal(t, "x,y\n1,a\n2,b\n", string(body))
		code, _, body = a.form(t, alice, "POST", "/ocpu/library/base/R/sum/print", formCT, "x=1:4")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		assert.Equal(t, "[1] 10\n", string(body))
	})

	t.Run("graphics", func(t *testing.T) {
		code, hdr, body := a.form(t, alice, "POST", "/ocpu/library/graphics/R/plot/png", formCT, "x=1:10")
		require.Equal(t, http.StatusCreated, code, "%s", body)
		assert.Equal(t, "image/png", hdr.Get("Content-Type"))
		assert.True(t, bytes.HasPrefix(body, []byte("\x89PNG")), "a PNG")
		base := "/ocpu/tmp/" + hdr.Get("X-ocpu-session") + "/"
		code, hdr, body = a.do(t, nil, alice, "GET", base+"graphics/1/svg", nil)
		require.Equal(t, http.StatusOK, code, "%s", body)
		assert.Equal(t, "image/svg+xml", hdr.Get("Content-Type"))
		assert.Contains(t, string(body), "<svg")
		code, _, _ = a.do(t, nil, alice, "GET", base+"graphics/last/png", nil)
		assert.Equal(t, http.StatusOK, code)
		code, _, _ = a.do(t, nil, alice, "GET", base+"graphics/2/png", nil)
		assert.Equal(t, http.StatusNotFound, code)
		code, _, body = a.do(t, nil, alice, "GET", base, nil)
		require.Equal(t, http.StatusOK, code)
		assert.Contains(t, string(body), base+"graphics/1\n")
	})

	t.Run("status codes", func(t *testing.T) {
		tests := []struct {
			name     string
			who      *creds
			path, ct string
			body     string
			hdr      []string
			status   int
			check    func(t *testing.T, body []byte)
		}{
			{"no credentials", nil, "/ocpu/library/stats/R/rnorm/json", formCT, "n=1", nil, 401, nil},
			{"denied function", guest, "/ocpu/library/base/R/system/json", formCT, "command='id'", nil, 403, func(t *testing.T, body []byte) {
				r := decode(t, body)
				assert.Equal(t, "denied", r.Error)
				require.NotEmpty(t, r.Violations)
				assert.Equal(t, "base::system", r.Violations[0].Function)
				assert.NotEmpty(t, r.Violations[0].Rule)
			}},
			{"denied code in an argument", alice, "/ocpu/library/stats/R/rnorm/json", formCT, "n=system('id')", nil, 403, func(t *testing.T, body []byte) {
				r := decode(t, body)
				require.NotEmpty(t, r.Violations)
				assert.Equal(t, "base::system", r.Violations[0].Function)
				assert.Equal(t, 2, r.Violations[0].Line, "the argument's own line in the call")
			}},
			{"R error", alice, "/ocpu/library/base/R/log/json", formCT, "x='a'", nil, 400, func(t *testing.T, body []byte) {
				assert.Contains(t, string(body), "non-numeric argument")
				assert.Contains(t, string(body), "In call:\nlog(x = 'a')")
			}},
			{"bad argument name", alice, "/ocpu/library/base/R/sum/json", formCT, "x%29=1", nil, 400, nil},
			{"too large", alice, "/ocpu/library/base/R/sum/json", formCT, "x=" + strings.Repeat("1", 5<<10), nil, 413, nil},
			{"time limit", guest, "/ocpu/library/base/R/sum/json", formCT, "x={while (TRUE) NULL; 1}", nil, 504, nil},
			{"cross-site form", alice, "/ocpu/library/base/R/sum/json", formCT, "x=1", []string{"Origin", "https://evil.example"}, 403, nil},
			{"cross-site empty form", alice, "/ocpu/library/base/R/Sys.time/json", formCT, "", []string{"Sec-Fetch-Site", "same-site"}, 403, nil},
			{"same-origin form", alice, "/ocpu/library/base/R/sum/json", formCT, "x=1", []string{"Sec-Fetch-Site", "same-origin", "Origin", a.url}, 201, nil},
			{"cross-site fetch", alice, "/ocpu/library/base/R/sum/json", formCT, "x=1", []string{"Sec-Fetch-Site", "cross-site"}, 403, nil},
			{"unsupported media type", alice, "/ocpu/library/base/R/sum/json", "text/plain", "x=1", nil, 415, nil},
			{"unknown format", alice, "/ocpu/library/base/R/sum/xml", formCT, "x=1", nil, 404, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, _, body := a.form(t, tt.who, "POST", tt.path, tt.ct, tt.body, tt.hdr...)
				require.Equal(t, tt.status, code, "%s", body)
				if tt.check != nil {
					tt.check(t, body)
				}
			})
		}
		// The failed-login limiter answers 429, as for every front end.
		a.form(t, &creds{"alice", "wrong"}, "POST", "/ocpu/library/base/R/sum/json", formCT, "x=1")
		code, hdr, body := a.form(t, &creds{"alice", "wrong again"}, "POST", "/ocpu/library/base/R/sum/json", formCT, "x=1")
		assert.Equal(t, http.StatusTooManyRequests, code, "%s", body)
		assert.NotEmpty(t, hdr.Get("Retry-After"))
	})
}
