package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
)

// writeCSV writes a CSV table of about size bytes to a file: id, two
// numbers, a region and a flag per row. It returns the rows written.
func writeCSV(t *testing.T, path string, size int64) int {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	_, _ = w.WriteString("id,x,y,region,ok\n")
	regions := []string{"north", "south", "east", "west"}
	var n int64
	rows := 0
	for n < size {
		rows++
		k, _ := fmt.Fprintf(w, "%d,%d.%03d,%d,%s,%t\n", rows, rows%997, rows%1000, rows*7%100000, regions[rows%4], rows%3 == 0)
		n += int64(k)
	}
	require.NoError(t, w.Flush())
	return rows
}

// Issue 17 acceptance 2 (HTTP): a 100 MB CSV table, streamed from disk to
// POST /v1/sessions/{id}/data/{name} of the real server, becomes a data
// frame within alice's data limit (110MiB here) while rwarden's peak RSS
// (the server process alone: workers are other processes) grows by less
// than the body; a body over the limit (sent without a length, so that it
// is refused part way) gets 413 with a clear message and the session,
// with its table, goes on.
func TestE2EHTTPLargeCSV(t *testing.T) {
	needR(t)
	csvFile := filepath.Join(t.TempDir(), "big.csv")
	rows := writeCSV(t, csvFile, 100e6)
	st0, err := os.Stat(csvFile)
	require.NoError(t, err)
	size := st0.Size()

	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	l := st.Config.Listeners[0]
	port := freePort(t)
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: http
    tls: {cert: %s, key: %s}
`, port, l.TLS.Cert, l.TLS.Key), "pool: {warm: 1, max: 4, acquire_timeout: 2m, scratch_bytes: 256MiB}\nlimits: {roles: {analyst: {data: 110MiB, memory: 3GiB, wall: 2m}}}\n")
	client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{TLSClientConfig: tlsClientConfig(t, st.PKI.CACertPath), ForceAttemptHTTP2: false, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	base := fmt.Sprintf("https://localhost:%d", port)
	do := func(method, path, ctype string, body io.Reader, length int64) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, body)
		require.NoError(t, err)
		req.SetBasicAuth("alice", alicePassword)
		req.ContentLength = length
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, b
	}
	evalIn := func(sid, code string) string {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"code": code})
		status, out := do("POST", "/v1/sessions/"+sid+"/eval", "application/json", strings.NewReader(string(b)), int64(len(b)))
		require.Equal(t, http.StatusOK, status, "%s", out)
		var r struct{ Value json.RawMessage }
		require.NoError(t, json.Unmarshal(out, &r))
		return string(r.Value)
	}

	status, out := do("POST", "/v1/sessions", "", nil, 0)
	require.Equal(t, http.StatusCreated, status, "%s", out)
	var sess struct{ ID string }
	require.NoError(t, json.Unmarshal(out, &sess))
	assert.Equal(t, "[2]", evalIn(sess.ID, "1 + 1"), "warm up")

	before := peakRSS(t, srv.cmd.Process.Pid)
	f, err := os.Open(csvFile)
	require.NoError(t, err)
	defer f.Close()
	status, out = do("POST", "/v1/sessions/"+sess.ID+"/data/big", "text/csv", f, size)
	after := peakRSS(t, srv.cmd.Process.Pid)
	require.Equal(t, http.StatusCreated, status, "%s", out)
	var info struct {
		Rows    int
		Columns []struct{ Name, Type string }
	}
	require.NoError(t, json.Unmarshal(out, &info))
	assert.Equal(t, rows, info.Rows)
	assert.Len(t, info.Columns, 5)
	assert.Equal(t, fmt.Sprintf("[%d]", rows), evalIn(sess.ID, "nrow(big)"))
	assert.Equal(t, fmt.Sprintf("[%d]", rows*(rows+1)/2), evalIn(sess.ID, "sum(as.double(big$id))"))
	t.Logf("%d bytes, %d rows: rwarden peak RSS %d MB before, %d MB after (growth %d MB)", size, rows, before>>20, after>>20, (after-before)>>20)
	assert.Less(t, after-before, size, "rwarden's peak RSS grows by less than the body")

	// Over the limit, without a length: refused part way.
	f2, err := os.Open(csvFile)
	require.NoError(t, err)
	defer f2.Close()
	f3, err := os.Open(csvFile)
	require.NoError(t, err)
	defer f3.Close()
	status, out = do("POST", "/v1/sessions/"+sess.ID+"/data/twice", "text/csv", io.MultiReader(f2, f3), -1)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, "%s", out)
	assert.Contains(t, string(out), "exceeds the data limit of 115343360 bytes")
	assert.Equal(t, fmt.Sprintf("[%d]", rows), evalIn(sess.ID, "nrow(big)"), "the session goes on with its table")
}
