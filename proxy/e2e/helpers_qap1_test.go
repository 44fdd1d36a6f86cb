package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/stretchr/testify/require"
)

// qapE2E is a running rwarden with, besides the anonymous framed listener,
// four QAP1 listeners: plaintext loopback requiring a login, plaintext
// loopback with the anonymous user guest, TLS (with client certificates
// requested), and a unix socket. alice has a password; the local user
// running the tests has a policy (for peer credentials).
type qapE2E struct {
	*fixture
	login, anon, tls, unix string
}

// qapOptions change startQAP's server.
type qapOptions struct {
	readTimeout      string // of every QAP1 listener ("" for the default)
	loginReadTimeout string // of the login listener
	guestSessions    int    // limits.users.guest.sessions (0: default)
	poolMax          int    // pool.max (0: 8)
	idle             string // limits.default.idle ("" for the default)
}

func startQAP(t *testing.T, o qapOptions) *qapE2E {
	t.Helper()
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	me, err := user.Current()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(st.Config.PoliciesDir, "users", me.Username+".csv"),
		[]byte("g, "+me.Username+", role:analyst\n"), 0o644))
	rt := func(v string) string {
		if v == "" {
			return ""
		}
		return "    read_timeout: " + v + "\n"
	}
	login, anon, tlsPort := freePort(t), freePort(t), freePort(t)
	sock := filepath.Join(state, "qap1.sock")
	l := st.Config.Listeners[0]
	loginRT := o.loginReadTimeout
	if loginRT == "" {
		loginRT = o.readTimeout
	}
	listeners := fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
%s  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
    anonymous_user: guest
%s  - address: "127.0.0.1:%d"
    protocol: qap1
    tls: {cert: %s, key: %s, client_ca: %s, client_auth: request}
%s  - address: "unix:%s"
    protocol: qap1
    plaintext: true
    unix_mode: "0666"
%s`, login, rt(loginRT), anon, rt(o.readTimeout), tlsPort, l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA, rt(o.readTimeout), sock, rt(o.readTimeout))
	max := o.poolMax
	if max == 0 {
		max = 8
	}
	extra := fmt.Sprintf("pool: {warm: 2, max: %d, acquire_timeout: 2m}\n", max)
	switch {
	case o.guestSessions > 0 && o.idle != "":
		extra += fmt.Sprintf("limits: {default: {idle: %s}, users: {guest: {sessions: %d}}}\n", o.idle, o.guestSessions)
	case o.guestSessions > 0:
		extra += fmt.Sprintf("limits: {users: {guest: {sessions: %d}}}\n", o.guestSessions)
	case o.idle != "":
		extra += fmt.Sprintf("limits: {default: {idle: %s}}\n", o.idle)
	}
	srv := serveWith(t, state, listeners, extra)
	f := &fixture{srv: srv, pki: st.PKI, audit: filepath.Join(state, "audit.jsonl")}
	return &qapE2E{fixture: f, login: fmt.Sprintf("127.0.0.1:%d", login), anon: fmt.Sprintf("127.0.0.1:%d", anon),
		tls: fmt.Sprintf("127.0.0.1:%d", tlsPort), unix: sock}
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
