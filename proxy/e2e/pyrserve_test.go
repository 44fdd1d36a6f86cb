package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Acceptance 3: a Python client speaking DT_STRING CMD_eval the way
// pyRserve does (identification check, eval, error, then geterrmessage()),
// on the anonymous loopback listener (pyRserve has no login).
func TestQAP1PyRserveStyle(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	needR(t)
	state, _ := prepareState(t)
	host, port := "127.0.0.1", fmt.Sprint(freePort(t))
	serveWith(t, state, `  - address: "127.0.0.1:`+port+`"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
`, "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", filepath.Join("..", "testdata", "qap1", "pyrserve_like.py"), host, port,
		"1 + 1", `c("a", NA, "\u00e9")`, `stop("boom")`, `system("id")`, "1 +", "x <- 21L; x * 2L").Output()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 7, "%s", out)
	var id struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &id))
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\n--------------\r\n", id.ID, "anonymous listener: no login required")
	type result struct {
		Code   string
		OK     bool
		Status int
		Value  any
		Error  *string
	}
	var rs []result
	for _, l := range lines[1:] {
		var r result
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		rs = append(rs, r)
	}
	assert.Equal(t, []any{2.0}, rs[0].Value)
	assert.Equal(t, []any{"a", nil, "\u00e9"}, rs[1].Value)
	assert.False(t, rs[2].OK)
	assert.Equal(t, 127, rs[2].Status)
	require.NotNil(t, rs[2].Error)
	assert.Contains(t, *rs[2].Error, "boom")
	assert.False(t, rs[3].OK)
	require.NotNil(t, rs[3].Error)
	assert.Contains(t, *rs[3].Error, "base::system", "guest's policy denial, read with geterrmessage()")
	assert.Equal(t, 2, rs[4].Status, "incomplete input: R's PARSE_INCOMPLETE")
	assert.Equal(t, []any{42.0}, rs[5].Value)
}
