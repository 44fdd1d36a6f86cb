package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCrossSiteRefused: a browser page of another site cannot use a
// user's cached credentials to open sessions or run code (CSRF), whether
// the browser says so with Sec-Fetch-Site or only with Origin; the same
// requests from the API's own origin, or from clients that are not
// browsers, work.
func TestCrossSiteRefused(t *testing.T) {
	a := startAPI(t, nil)
	tests := []struct {
		name, method, path string
		body               any
		hdr                []string
		want               int
	}{
		{"empty session POST, cross-site", "POST", "/v1/sessions", nil, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"eval, same-site other origin", "POST", "/v1/eval", map[string]string{"code": "1+1"}, []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"eval, foreign Origin only", "POST", "/v1/eval", map[string]string{"code": "1+1"}, []string{"Origin", "https://evil.example.com"}, http.StatusForbidden},
		{"delete, foreign Origin", "DELETE", "/v1/sessions/x", nil, []string{"Origin", "https://evil.example.com"}, http.StatusForbidden},
		{"eval, same origin", "POST", "/v1/eval", map[string]string{"code": "1+1"}, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
		{"eval, not a browser", "POST", "/v1/eval", map[string]string{"code": "1+1"}, nil, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := a.do(t, nil, alice, tc.method, tc.path, tc.body, tc.hdr...)
			assert.Equal(t, tc.want, status, "%s", body)
			if tc.want == http.StatusForbidden {
				assert.Contains(t, string(body), "cross-site")
			}
		})
	}
}
