package e2e

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// QAP1's file commands on the workspace: alice (granted files:workspace)
// creates, writes, reads back and removes a workspace file, R in her
// session reads it as ~/NAME; paths and names outside the workspace are
// refused; guest (anonymous, not granted) gets ERR_accessDenied.
func TestQAP1FileCommands(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	login, anon := freePort(t), freePort(t)
	serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
`, login, anon), "pool: {warm: 0, max: 4, acquire_timeout: 2m}\ndata: {workspace: {enabled: true, quota: 1MiB}}\n")

	q := dialQAP(t, "tcp", fmt.Sprintf("127.0.0.1:%d", login), nil)
	require.Equal(t, int32(qap1.RespOK), q.login("alice", alicePassword))
	ok := int32(qap1.RespOK)
	cmd, _ := q.call(qap1.CmdCreateFile, qap1.StringParam("in.csv"))
	require.Equal(t, ok, cmd)
	cmd, _ = q.call(qap1.CmdWriteFile, qap1.BytesParam([]byte("a,b\n1,2\n")))
	require.Equal(t, ok, cmd)
	cmd, _ = q.call(qap1.CmdWriteFile, qap1.BytesParam([]byte("3,4\n")))
	require.Equal(t, ok, cmd)
	cmd, _ = q.call(qap1.CmdCloseFile)
	require.Equal(t, ok, cmd)

	v := q.mustEval(`d <- read.csv("~/in.csv"); sum(d)`)
	assert.Equal(t, []int32{10}, v.Ints)
	q.mustEval(`writeLines("from R", "~/out.txt")`)

	cmd, _ = q.call(qap1.CmdOpenFile, qap1.StringParam("out.txt"))
	require.Equal(t, ok, cmd)
	size := make([]byte, 8)
	binary.LittleEndian.PutUint32(size[4:], 3)
	binary.LittleEndian.PutUint32(size[:4], uint32(qap1.DtInt)|4<<8)
	cmd, p := q.call(qap1.CmdReadFile, size)
	require.Equal(t, ok, cmd)
	assert.Equal(t, "fro", string(p))
	cmd, p = q.call(qap1.CmdReadFile)
	require.Equal(t, ok, cmd)
	assert.Equal(t, "m R\n", string(p))
	cmd, _ = q.call(qap1.CmdCloseFile)
	require.Equal(t, ok, cmd)

	for _, bad := range []string{"/etc/passwd", "../users.txt", ".upload-x", "sub/x"} {
		cmd, _ = q.call(qap1.CmdOpenFile, qap1.StringParam(bad))
		assert.Equal(t, qap1.ErrIOerror, qap1.Status(cmd), bad)
	}
	assert.Contains(t, q.errMessage(), "not a plain file name")

	// Over the quota: the write is refused and the file is not stored.
	cmd, _ = q.call(qap1.CmdCreateFile, qap1.StringParam("big.bin"))
	require.Equal(t, ok, cmd)
	cmd, _ = q.call(qap1.CmdWriteFile, qap1.BytesParam(make([]byte, 2<<20)))
	assert.Equal(t, qap1.ErrIOerror, qap1.Status(cmd))
	assert.Contains(t, q.errMessage(), "exceed the workspace quota")
	cmd, _ = q.call(qap1.CmdCloseFile)
	assert.Equal(t, qap1.ErrIOerror, qap1.Status(cmd))
	v = q.mustEval(`file.exists("~/big.bin")`)
	assert.Equal(t, []bool{false}, lgl(v))

	cmd, _ = q.call(qap1.CmdRemoveFile, qap1.StringParam("in.csv"))
	require.Equal(t, ok, cmd)
	v = q.mustEval(`file.exists("~/in.csv")`)
	assert.Equal(t, []bool{false}, lgl(v))

	g := dialQAP(t, "tcp", fmt.Sprintf("127.0.0.1:%d", anon), nil)
	cmd, _ = g.call(qap1.CmdOpenFile, qap1.StringParam("out.txt"))
	assert.Equal(t, qap1.ErrAccessDenied, qap1.Status(cmd))
	g.mustEval("1")
}

// lgl reads a logical vector's values.
func lgl(v *rdata.Value) []bool {
	out := make([]bool, len(v.Ints))
	for i, x := range v.Ints {
		out[i] = x == 1
	}
	return out
}
