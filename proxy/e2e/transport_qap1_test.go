package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"os/user"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Identities from the transport, and TLS by CMD_switch.
func TestQAP1Transports(t *testing.T) {
	e := startQAP(t, qapOptions{})

	t.Run("unix socket peer credentials", func(t *testing.T) {
		q := dialQAP(t, "unix", e.unix, nil)
		assert.Equal(t, "Rsrv0103QAP1\r\n\r\n--------------\r\n", string(q.id[:]))
		assert.Equal(t, []int32{6}, q.mustEval("2L * 3L").Ints)
		me, err := user.Current()
		require.NoError(t, err)
		rec := e.lastEval(t)
		assert.Equal(t, me.Username, rec.User)
		assert.Equal(t, "peercred", rec.AuthMethod)
	})

	t.Run("client certificate", func(t *testing.T) {
		cert, key, err := e.pki.IssueClientCert("alice", t.TempDir())
		require.NoError(t, err)
		q := dialQAP(t, "tcp", e.tls, e.tlsConfig(t, cert, key))
		assert.Equal(t, "Rsrv0103QAP1\r\n\r\n--------------\r\n", string(q.id[:]), "the certificate names the user: no login")
		assert.Equal(t, []float64{4}, q.mustEval("sqrt(16)").Reals)
		rec := e.lastEval(t)
		assert.Equal(t, "alice", rec.User)
		assert.Equal(t, "certificate", rec.AuthMethod)
	})

	t.Run("CMD_switch to TLS, then login", func(t *testing.T) {
		c, err := net.Dial("tcp", e.tls)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
		var id [32]byte
		_, err = io.ReadFull(c, id[:])
		require.NoError(t, err)
		assert.Equal(t, "Rsrv0103QAP1\r\n\r\nTLS\n----------\r\n", string(id[:]),
			"before TLS: TLS offered, no password login")
		_, err = c.Write(qap1.Message(qap1.CmdSwitch, 0, qap1.StringParam("TLS")))
		require.NoError(t, err)
		h, err := qap1.ReadHeader(c)
		require.NoError(t, err)
		require.Equal(t, int32(qap1.RespOK), h.Cmd)
		tc := tls.Client(c, e.tlsConfig(t, "", ""))
		require.NoError(t, tc.Handshake())
		q := &qapClient{t: t, conn: tc}
		require.Equal(t, int32(qap1.RespOK), q.login("alice", alicePassword))
		assert.Equal(t, []int32{10}, q.mustEval("sum(1:4)").Ints)
		cmd, _ := q.call(qap1.CmdSwitch, qap1.StringParam("TLS"))
		assert.Equal(t, qap1.ErrDisabled, qap1.Status(cmd), "already on TLS")
	})

	t.Run("anonymous listener, then a password login", func(t *testing.T) {
		q := dialQAP(t, "tcp", e.anon, nil)
		require.Equal(t, int32(qap1.RespOK), q.login("alice", alicePassword), "a login may replace the anonymous identity")
		q.mustEval("1")
		rec := e.lastEval(t)
		assert.Equal(t, "alice", rec.User)
		assert.Equal(t, qap1.ErrInvCmd, qap1.Status(q.login("alice", alicePassword)), "logged in already")
	})
}

// read_timeout bounds a client before it authenticates; after a login an
// interactive client may pause longer between commands.
func TestQAP1IdleAfterLogin(t *testing.T) {
	e := startQAP(t, qapOptions{loginReadTimeout: "1s"})
	silent := dialQAP(t, "tcp", e.login, nil)
	q := dialQAP(t, "tcp", e.login, nil)
	require.Equal(t, int32(qap1.RespOK), q.login("alice", alicePassword))
	time.Sleep(2500 * time.Millisecond)
	assert.Equal(t, []float64{2}, q.mustEval("1 + 1").Reals, "a logged-in client may idle past read_timeout")
	_, err := silent.conn.Write(qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice\n"+alicePassword)))
	if err == nil {
		_, err = qap1.ReadHeader(silent.conn)
	}
	assert.Error(t, err, "a client that never logged in is dropped after read_timeout")
}
