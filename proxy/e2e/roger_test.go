package e2e

import (
	"fmt"
	"testing"

	"github.com/senseyeio/roger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
)

// Acceptance 2: roger (a Go Rserve client) over plaintext loopback with
// CMD_login; results convert to the right Go values.
func TestQAP1Roger(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	host, port := "127.0.0.1", int64(freePort(t))
	serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
`, port), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")

	rc, err := roger.NewRClientWithAuth(host, port, "alice", alicePassword)
	require.NoError(t, err)
	cases := []struct {
		code string
		want any
	}{
		{"1 + 1", 2.0},
		{"1:3", []int32{1, 2, 3}},
		{"c(0.5, 2.25)", []float64{0.5, 2.25}},
		{`c("a", "b\u00e9")`, []string{"a", "b\u00e9"}},
		{`"one"`, "one"},
		{"c(TRUE, FALSE)", []bool{true, false}},
		{"NULL", nil},
		{`list(a = 1, b = "x")`, map[string]any{"a": 1.0, "b": "x"}},
		{`as.raw(c(1, 2))`, []byte{1, 2}},
	}
	for _, c := range cases {
		got, err := rc.Eval(c.code)
		require.NoError(t, err, c.code)
		assert.Equal(t, c.want, got, c.code)
	}

	s, err := rc.GetSession()
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Eval("x <- 10")
	require.NoError(t, err)
	got, err := s.Eval("x * 2")
	require.NoError(t, err)
	assert.Equal(t, 20.0, got, "state is kept across commands of a session")
	require.NoError(t, s.Assign("y", []float64{1, 2, 3.5}))
	got, err = s.Eval("sum(y)")
	require.NoError(t, err)
	assert.Equal(t, 6.5, got)
	require.NoError(t, s.Assign("w", "text"))
	got, err = s.Eval("toupper(w)")
	require.NoError(t, err)
	assert.Equal(t, "TEXT", got)
	_, err = s.Eval(`stop("boom")`)
	assert.Error(t, err)
	_, err = s.Eval(`system("id")`)
	assert.Error(t, err, "a denied call is an error")
	got, err = s.Eval("geterrmessage()")
	require.NoError(t, err)
	assert.Contains(t, got, "base::system")

	_, err = roger.NewRClientWithAuth(host, port, "alice", "not her password")
	require.Error(t, err, "a wrong password must not connect")
}
