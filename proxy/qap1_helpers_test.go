package proxy

import (
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/stretchr/testify/require"
)

// qapE2E is a running rwarden with, besides startE2E's listeners, four
// QAP1 listeners: plaintext loopback requiring a login, plaintext loopback
// with the anonymous user guest, TLS, and a unix socket.
type qapE2E struct {
	*e2e
	login, anon, tls, unix string
}

func qapListener(addr string) config.ListenerConfig {
	l := config.NewListener(addr)
	l.Protocol, l.Plaintext = qap1.Protocol, true
	return l
}

func startQAP(t *testing.T, mod func(*config.Config)) *qapE2E {
	t.Helper()
	var unixPath string
	e := startE2E(t, func(cfg *config.Config) {
		login := qapListener("127.0.0.1:0")
		anon := qapListener("127.0.0.1:0")
		anon.AnonymousUser = "guest"
		tlsL := cfg.Listeners[0]
		tlsL.Address, tlsL.Protocol = "127.0.0.1:0", qap1.Protocol
		unixPath = filepath.Join(cfg.StateDir, "qap1.sock")
		unixL := qapListener("unix:" + unixPath)
		unixL.UnixMode = 0o666
		cfg.Listeners = append(cfg.Listeners, login, anon, tlsL, unixL)
		if mod != nil {
			mod(cfg)
		}
	})
	return &qapE2E{e2e: e, login: e.srv.Addr(3).String(), anon: e.srv.Addr(4).String(),
		tls: e.srv.Addr(5).String(), unix: unixPath}
}

// qapClient is a minimal QAP1 client for tests, written against the
// protocol (with the qap1 codec) rather than against rwarden.
type qapClient struct {
	t    *testing.T
	conn net.Conn
	id   [32]byte
}

func dialQAP(t *testing.T, network, addr string, tlsCfg *tls.Config) *qapClient {
	t.Helper()
	var c net.Conn
	var err error
	if tlsCfg != nil {
		c, err = tls.Dial(network, addr, tlsCfg)
	} else {
		c, err = net.Dial(network, addr)
	}
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	q := &qapClient{t: t, conn: c}
	require.NoError(t, c.SetDeadline(time.Now().Add(3*time.Minute)))
	_, err = io.ReadFull(c, q.id[:])
	require.NoError(t, err)
	return q
}

// call sends one command and returns the answer's command word and payload.
func (q *qapClient) call(cmd int32, parts ...[]byte) (int32, []byte) {
	q.t.Helper()
	_, err := q.conn.Write(qap1.Message(cmd, 0, parts...))
	require.NoError(q.t, err)
	return q.read()
}

func (q *qapClient) read() (int32, []byte) {
	q.t.Helper()
	h, err := qap1.ReadHeader(q.conn)
	require.NoError(q.t, err)
	p, err := qap1.ReadPayload(q.conn, h, 1<<30)
	require.NoError(q.t, err)
	return h.Cmd, p
}

func (q *qapClient) login(user, pass string) int32 {
	q.t.Helper()
	cmd, _ := q.call(qap1.CmdLogin, qap1.StringParam(user+"\n"+pass))
	return cmd
}

// eval evaluates code (CMD_eval, DT_STRING) and decodes the value; on an
// error answer it returns the answer word and a nil value.
func (q *qapClient) eval(code string) (*rdata.Value, int32) {
	q.t.Helper()
	cmd, p := q.call(qap1.CmdEval, qap1.StringParam(code))
	if cmd != qap1.RespOK {
		return nil, cmd
	}
	ps, err := qap1.ParseParams(p)
	require.NoError(q.t, err)
	require.Len(q.t, ps, 1)
	require.Equal(q.t, qap1.DtSexp, ps[0].Type)
	v, err := qap1.DecodeSEXP(ps[0].Data, qap1.DecodeOptions{})
	require.NoError(q.t, err)
	return v, cmd
}

// mustEval evaluates code and requires success.
func (q *qapClient) mustEval(code string) *rdata.Value {
	q.t.Helper()
	v, cmd := q.eval(code)
	require.Equal(q.t, int32(qap1.RespOK), cmd, "eval %q answered status %#x", code, qap1.Status(cmd))
	return v
}

// errMessage is geterrmessage() in the session.
func (q *qapClient) errMessage() string {
	q.t.Helper()
	v := q.mustEval("geterrmessage()")
	require.Equal(q.t, rdata.STRSXP, v.Type)
	return v.Strings[0].S
}
