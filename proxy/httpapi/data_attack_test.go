package httpapi_test

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackCSVAmplification: CSV bodies whose cells are one byte each no
// longer go through a parser in rwarden: a 32 MB body of 16 million
// one-byte rows becomes a data frame in the worker while rwarden
// allocates less than 8 MiB (it holds one 1 MiB piece at a time); a
// header line of millions of
// commas, which would make R build a vector per column, or longer than
// 1 MiB (the names come back in the answer) is refused (400) as it
// streams, before R reads anything. The session goes on.
func TestAttackCSVAmplification(t *testing.T) {
	a := startAPI(t, nil)
	code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
	require.Equal(t, http.StatusCreated, code)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &s))
	path := "/v1/sessions/" + s.ID
	// The session's worker and its allowlist first (built once per
	// session, whatever comes next).
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "1 + 1"})
	require.Equal(t, http.StatusOK, code, "%s", body)

	rows := "a\n" + strings.Repeat("1\n", 16<<20-1)
	commas := strings.Repeat(",", 32<<20-1) + "\n1\n"
	tests := []struct {
		name, body string
		status     int
		text       string
	}{
		{"one-byte rows", rows, http.StatusCreated, `"rows":16777215`},
		{"header of commas", commas, http.StatusBadRequest, "more than 10000 columns"},
		{"quoted commas in the header", "\"" + strings.Repeat(",", 4<<20) + "\"\n1\n", http.StatusBadRequest, "header line longer than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			code, _, body := a.do(t, nil, alice, "POST", path+"/data/x", tt.body, "Content-Type", "text/csv")
			runtime.ReadMemStats(&m1)
			assert.Equal(t, tt.status, code, "%s", body)
			assert.Contains(t, string(body), tt.text)
			alloc := m1.TotalAlloc - m0.TotalAlloc
			t.Logf("%d bytes of body, %d bytes allocated in rwarden's process", len(tt.body), alloc)
			assert.Less(t, alloc, uint64(8<<20), "rwarden holds pieces, not the table")
		})
	}
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "1 + 1"})
	require.Equal(t, http.StatusOK, code, "%s", body)
}
