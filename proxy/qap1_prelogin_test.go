package proxy

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the client side of RSclient's RSA-OAEP (SHA-1)
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startQAPLogin is startE2E plus a plaintext loopback QAP1 listener that
// requires a login; it returns the server and that listener's address.
func startQAPLogin(t *testing.T) (*e2e, string) {
	t.Helper()
	e := startE2E(t, func(cfg *config.Config) {
		l := config.NewListener("127.0.0.1:0")
		l.Protocol, l.Plaintext = qap1.Protocol, true
		cfg.Listeners = append(cfg.Listeners, l)
	})
	return e, e.srv.Addr(3).String()
}

// qapRaw is a bare QAP1 connection for pre-authentication tests.
type qapRaw struct {
	t    *testing.T
	conn net.Conn
}

func dialQAPRaw(t *testing.T, addr string) *qapRaw {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
	id := make([]byte, 32)
	_, err = io.ReadFull(c, id)
	require.NoError(t, err)
	return &qapRaw{t: t, conn: c}
}

func (q *qapRaw) call(cmd int32, parts ...[]byte) (int32, []byte) {
	q.t.Helper()
	_, err := q.conn.Write(qap1.Message(cmd, 0, parts...))
	require.NoError(q.t, err)
	h, err := qap1.ReadHeader(q.conn)
	require.NoError(q.t, err)
	p, err := qap1.ReadPayload(q.conn, h, 1<<20)
	require.NoError(q.t, err)
	return h.Cmd, p
}

// keyReq asks for the nonce and the public key (CMD_keyReq).
func (q *qapRaw) keyReq() (nonce []byte, pub *rsa.PublicKey) {
	q.t.Helper()
	cmd, p := q.call(qap1.CmdKeyReq, qap1.StringParam("rsa-authkey"))
	require.Equal(q.t, int32(qap1.RespOK), cmd)
	// The answer is the nonce and the DER key, each preceded by its length.
	b := p
	n := binary.LittleEndian.Uint32(b)
	nonce, b = b[4:4+n], b[4+n:]
	m := binary.LittleEndian.Uint32(b)
	pub, err := x509.ParsePKCS1PublicKey(b[4 : 4+m])
	require.NoError(q.t, err)
	return nonce, pub
}

// secLoginBlocks encrypts RSclient's secure-login text in blocks of the
// key's OAEP capacity, as RS_secauth does.
func secLoginBlocks(t *testing.T, pub *rsa.PublicKey, nonce []byte, auth string) []byte {
	plain := binary.LittleEndian.AppendUint32(nil, uint32(len(nonce)))
	plain = append(plain, nonce...)
	plain = binary.LittleEndian.AppendUint32(plain, uint32(len(auth)+1))
	plain = append(append(plain, auth...), 0)
	var out []byte
	for len(plain) > 0 {
		n := min(pub.Size()-42, len(plain))
		c, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain[:n], nil)
		require.NoError(t, err)
		out = append(out, c...)
		plain = plain[n:]
	}
	return out
}

// Acceptance 2 (first half): a secLogin of 64 RSA blocks costs no
// decryption (refused on its size), a good one-block login costs exactly
// one, and once an address is rate-limited its secure logins are refused
// before any decryption.
func TestQAP1SecLoginBoundedWork(t *testing.T) {
	_, addr := startQAPLogin(t)

	q := dialQAPRaw(t, addr)
	nonce, pub := q.keyReq()
	one := secLoginBlocks(t, pub, nonce, "alice\n"+alicePassword+"\n")
	require.Len(t, one, pub.Size())
	before := qap1.RSADecryptions()
	cmd, _ := q.call(qap1.CmdSecLogin, qap1.BytesParam(bytes.Repeat(one, 64)))
	assert.Equal(t, qap1.RespError(qap1.ErrInvPar), cmd)
	assert.LessOrEqual(t, qap1.RSADecryptions()-before, int64(1), "64 blocks cost at most one decryption")

	q = dialQAPRaw(t, addr)
	nonce, pub = q.keyReq()
	before = qap1.RSADecryptions()
	cmd, _ = q.call(qap1.CmdSecLogin, qap1.BytesParam(secLoginBlocks(t, pub, nonce, "alice\n"+alicePassword+"\n")))
	assert.Equal(t, int32(qap1.RespOK), cmd, "a one-block secure login works")
	assert.Equal(t, int64(1), qap1.RSADecryptions()-before)

	// Garbage secure logins from one address: each costs one decryption
	// until the address's login limit refuses them, then none.
	refusedFree := false
	for i := 0; i < 50 && !refusedFree; i++ {
		q = dialQAPRaw(t, addr)
		q.keyReq()
		before = qap1.RSADecryptions()
		cmd, _ = q.call(qap1.CmdSecLogin, qap1.BytesParam(bytes.Repeat([]byte{7}, pub.Size())))
		require.Equal(t, qap1.RespError(qap1.ErrAuthFailed), cmd)
		cost := qap1.RSADecryptions() - before
		require.LessOrEqual(t, cost, int64(1))
		refusedFree = cost == 0
	}
	assert.True(t, refusedFree, "a rate-limited address's secure login is refused before decryption")
}
