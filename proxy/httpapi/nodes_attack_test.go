package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSessionIDAttacks: session ids whose node part is forged (another
// user's session moved to this or another node's name, markup, header
// breaks, a huge label) reach no session, echo nothing raw into the
// answer, and inject no header.
func TestSessionIDAttacks(t *testing.T) {
	a := startAPI(t, nil)
	code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", "{}")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &s))
	node, random, ok := strings.Cut(s.ID, ".")
	require.True(t, ok)
	t.Cleanup(func() { a.do(t, nil, alice, "DELETE", "/v1/sessions/"+s.ID, nil) })

	for _, tc := range []struct {
		name, id string
		who      *creds
		status   int
	}{
		{"alice's random under another node", "othernode." + random, alice, http.StatusMisdirectedRequest},
		{"alice's random without a node", random, alice, http.StatusNotFound},
		{"alice's id with a second dot", node + "." + random + ".x", alice, http.StatusNotFound},
		{"alice's id asked for by guest", s.ID, guest, http.StatusNotFound},
		{"alice's random under another node, by guest", "othernode." + random, guest, http.StatusMisdirectedRequest},
		{"markup as the node", "<script>alert(1)</script>." + random, alice, http.StatusNotFound},
		{"header break as the node", "evil\r\nX-Injected: 1." + random, alice, http.StatusNotFound},
		{"a 300-byte node", strings.Repeat("a", 300) + "." + random, alice, http.StatusNotFound},
		{"upper case node", strings.ToUpper(node) + "." + random, alice, http.StatusMisdirectedRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := a.do(t, nil, tc.who, "POST", "/v1/sessions/"+url.PathEscape(tc.id)+"/eval",
				map[string]any{"code": "1"})
			assert.Contains(t, []int{tc.status, http.StatusNotFound, http.StatusMisdirectedRequest}, code, "%s", body)
			assert.NotEqual(t, http.StatusOK, code)
			assert.Empty(t, hdr.Get("X-Injected"))
			assert.NotContains(t, string(body), "<script>")
			assert.NotContains(t, string(body), "\r\n")
			assert.NotContains(t, string(body), strings.Repeat("a", 64))
			if code == http.StatusMisdirectedRequest {
				assert.NotContains(t, string(body), random, "the random part is not echoed")
			}
		})
	}
	// Alice's session is still hers and works.
	code, _, body = a.do(t, nil, alice, "POST", "/v1/sessions/"+s.ID+"/eval", map[string]any{"code": "1 + 1"})
	require.Equal(t, http.StatusOK, code, "%s", body)
}
