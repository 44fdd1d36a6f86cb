package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// TestFiles: files go into the session's scratch directory, where R code
// reads them, and come back out; the scratch quota bounds them.
func TestFiles(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) { cfg.Pool.ScratchBytes = 4 << 20 })
	code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
	require.Equal(t, http.StatusCreated, code)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &s))
	path := "/v1/sessions/" + s.ID

	code, hdr, body := a.do(t, nil, alice, "PUT", path+"/files/in.csv", "a,b\n1,2\n3,4\n")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	assert.Equal(t, path+"/files/in.csv", hdr.Get("Location"))

	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{
		"code": `d <- read.csv("in.csv"); write.csv(d * 10, "out.csv", row.names = FALSE); sum(d)`})
	require.Equal(t, 200, code, "%s", body)
	assert.JSONEq(t, `[10]`, string(decode(t, body).Value))

	code, hdr, body = a.do(t, nil, alice, "GET", path+"/files/out.csv", nil)
	require.Equal(t, 200, code, "%s", body)
	assert.Equal(t, "application/octet-stream", hdr.Get("Content-Type"))
	assert.Equal(t, "\"a\",\"b\"\n10,20\n30,40\n", string(body))

	// Binary content survives both ways.
	bin := bytes.Repeat([]byte{0, 1, 2, 255, '\n'}, 1000)
	code, _, _ = a.do(t, nil, alice, "PUT", path+"/files/blob.bin", string(bin))
	require.Equal(t, http.StatusCreated, code)
	code, _, body = a.do(t, nil, alice, "GET", path+"/files/blob.bin", nil)
	require.Equal(t, 200, code)
	assert.Equal(t, bin, body)

	tests := []struct {
		name, method, file, body string
		status                   int
	}{
		{"missing", "GET", "nothing.txt", "", http.StatusNotFound},
		{"dot file", "PUT", ".Rprofile", "x", http.StatusBadRequest},
		{"traversal", "GET", "..%2F..%2Fetc%2Fpasswd", "", http.StatusBadRequest},
		{"over the quota", "PUT", "big.bin", string(make([]byte, 5<<20)), http.StatusRequestEntityTooLarge},
		{"fits alone", "PUT", "c1.bin", string(make([]byte, 3<<20)), http.StatusCreated},
		{"not with the others", "PUT", "c2.bin", string(make([]byte, 3<<20)), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b any
			if tt.body != "" {
				b = tt.body
			}
			code, _, body := a.do(t, nil, alice, tt.method, path+"/files/"+tt.file, b)
			assert.Equal(t, tt.status, code, "%s", body)
		})
	}
	code, _, _ = a.do(t, nil, guest, "GET", path+"/files/out.csv", nil)
	assert.Equal(t, http.StatusNotFound, code, "another user's file")
	// The session still works after the refusals.
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "file.exists('in.csv')"})
	require.Equal(t, 200, code, "%s", body)
	assert.JSONEq(t, `[true]`, string(decode(t, body).Value))
}
