package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
)

// rwarden files and eval against a server with workspaces on: alice (role
// analyst, granted files:workspace) uploads a CSV, reads it from R as
// ~/NAME in a session, writes a result there and downloads it; bob (also
// analyst) sees none of her files; guest (not granted) is refused; an
// upload over the workspace quota is refused with a clear error.
func TestFilesCLI(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "bob", []byte(alicePassword), cheapArgon))
	require.NoError(t, os.WriteFile(filepath.Join(st.Config.PoliciesDir, "users", "bob.csv"), []byte("g, bob, role:analyst\n"), 0o644))
	port := freePort(t)
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    plaintext: true
`, port), "pool: {warm: 0, max: 4, acquire_timeout: 2m}\ndata: {workspace: {enabled: true, quota: 2MiB}}\n")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	run := func(user string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{args[0], "--addr", addr, "--user", user}, args[1:]...)...)
		cmd.Env = []string{"RWARDEN_PASSWORD=" + alicePassword, "PATH=/usr/bin:/bin"}
		cmd.Dir = t.TempDir()
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return out.String(), errOut.String(), code
	}
	local := filepath.Join(t.TempDir(), "x.csv")
	require.NoError(t, os.WriteFile(local, []byte("a,b\n1,2\n3,4\n"), 0o644))

	out, errOut, code := run("alice", "files", "put", local)
	require.Zero(t, code, errOut)
	assert.Contains(t, out, "stored x.csv (12 bytes)")
	out, errOut, code = run("alice", "files", "ls")
	require.Zero(t, code, errOut)
	assert.Contains(t, out, "x.csv\t12\t")

	out, errOut, code = run("alice", "eval", "-e", `d <- read.csv("~/x.csv"); write.csv(data.frame(s = sum(d)), "~/sum.csv", row.names = FALSE); cat("sum", sum(d), "\n")`)
	require.Zero(t, code, out+errOut)
	assert.Contains(t, out, "sum 10")
	out, errOut, code = run("alice", "files", "get", "sum.csv", "-")
	require.Zero(t, code, errOut)
	assert.Equal(t, "\"s\"\n10\n", out)

	out, _, _ = run("bob", "files", "ls")
	assert.Empty(t, out, "bob's workspace is his own")
	_, errOut, code = run("bob", "files", "get", "x.csv", "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "x.csv")
	out, _, _ = run("bob", "eval", "-e", `cat("bob sees", file.exists("~/x.csv"), "\n")`)
	assert.Contains(t, out, "bob sees FALSE")

	// guest: the anonymous user of the server's first listener.
	guest := exec.Command(bin, "files", "--addr", srv.addr, "ls")
	guest.Env = []string{"PATH=/usr/bin:/bin"}
	var gerr bytes.Buffer
	guest.Stderr = &gerr
	err := guest.Run()
	require.Error(t, err)
	assert.Contains(t, gerr.String(), "files:workspace")

	big := filepath.Join(t.TempDir(), "big.bin")
	require.NoError(t, os.WriteFile(big, make([]byte, 3<<20), 0o644))
	_, errOut, code = run("alice", "files", "put", big)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "would exceed its quota of 2097152 bytes")
	_, errOut, code = run("alice", "files", "get", "../users.txt", "-")
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errOut, "not a plain file name"), errOut)
	_, errOut, code = run("alice", "files", "get", ".upload-x", "-")
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errOut, "not a plain file name"), errOut)
}
