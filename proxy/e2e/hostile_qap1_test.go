package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileCase is one malicious or broken client. send is written after the
// identification string was read. want is the status of the first error
// answer (0 for none expected); closed says whether the server must then
// close the connection.
type hostileCase struct {
	name     string
	listener string // "anon" (default), "login", "tls"
	send     [][]byte
	want     int
	closed   bool
}

func le32(words ...uint32) []byte {
	var b []byte
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

func rawHeader(cmd int32, lo, hi uint32) []byte {
	return le32(uint32(cmd), lo, 0, hi)
}

func sexpMsg(cmd int32, sexp []byte) []byte {
	return qap1.Message(cmd, 0, append(qap1.AppendParamHead(nil, qap1.DtSexp, len(sexp)), sexp...))
}

func hostileCases(t *testing.T) []hostileCase {
	nest := []byte{}
	for range 5000 {
		nest = append(nest, le32(qap1.XtVector|4<<8)...)
	}
	nest = append(nest, le32(qap1.XtNull)...)
	deepCall := rdata.Sym("x")
	for range 400 {
		deepCall = rdata.Call(rdata.Sym("f"), deepCall)
	}
	deepSEXP, err := qap1.EncodeSEXP(deepCall)
	require.NoError(t, err)
	deepList := []byte("X\n")
	deepList = append(deepList, le32be(2, 0x040202, 0x020300)...)
	for range 100000 {
		deepList = append(deepList, le32be(19, 1)...)
	}
	deepList = append(deepList, le32be(254)...)
	bigSeq := []byte("X\n")
	bigSeq = append(bigSeq, le32be(2, 0x040202, 0x020300, 238, 2, 1, 0x00040009, 14)...)
	bigSeq = append(bigSeq, "compact_intseq"...)
	bigSeq = append(bigSeq, le32be(2, 1, 0x00040009, 4)...)
	bigSeq = append(bigSeq, "base"...)
	bigSeq = append(bigSeq, le32be(2, 13, 1, 13, 254, 14, 3)...)
	for _, x := range []uint64{0x430C6BF526340000 /* 1e15 */, 0x3FF0000000000000, 0x3FF0000000000000} {
		bigSeq = binary.BigEndian.AppendUint64(bigSeq, x)
	}
	bigSeq = append(bigSeq, le32be(254)...)
	closure, err := rdata.Serialize(rdata.List(rdata.Strings("f"), rdata.Call(rdata.Sym("function"), rdata.Null(), rdata.Reals(1))))
	require.NoError(t, err)
	eval := func(code string) []byte { return qap1.Message(qap1.CmdEval, 0, qap1.StringParam(code)) }
	many := []byte{}
	for range 17 {
		many = append(many, qap1.IntParam(1)...)
	}
	return []hostileCase{
		{name: "length 2^63-1", send: [][]byte{rawHeader(qap1.CmdEval, 0xffffffff, 0x7fffffff)}, want: qap1.ErrDataOverflow, closed: true},
		{name: "length 2^64-1", send: [][]byte{rawHeader(qap1.CmdEval, 0xffffffff, 0xffffffff)}, want: qap1.ErrConnBroken, closed: true},
		{name: "length over max_code_bytes", send: [][]byte{rawHeader(qap1.CmdEval, 1<<21, 0)}, want: qap1.ErrDataOverflow, closed: true},
		{name: "serEval 2^40 bytes", send: [][]byte{rawHeader(qap1.CmdSerEval, 0, 1<<8)}, want: qap1.ErrDataOverflow, closed: true},
		{name: "truncated header, then silence", send: [][]byte{{3, 0, 0, 0, 8}}, closed: true},
		{name: "truncated payload, then silence", send: [][]byte{rawHeader(qap1.CmdEval, 100, 0), []byte("1+1")}, closed: true},
		{name: "eval with a DT_INT", send: [][]byte{qap1.Message(qap1.CmdEval, 0, qap1.IntParam(5))}, want: qap1.ErrInvPar},
		{name: "eval without parameters", send: [][]byte{qap1.Message(qap1.CmdEval, 0)}, want: qap1.ErrInvPar},
		{name: "parameter longer than message", send: [][]byte{qap1.Message(qap1.CmdEval, 0, le32(qap1.DtString|0xfffff0<<8), []byte("1+1\x00"))}, want: qap1.ErrInvPar},
		{name: "17 parameters", send: [][]byte{qap1.Message(qap1.CmdEval, 0, many)}, want: qap1.ErrInvPar},
		{name: "XT_RAW count past its item", send: [][]byte{sexpMsg(qap1.CmdEval, le32(qap1.XtRaw|8<<8, 1<<30, 0))}, want: qap1.ErrInvPar},
		{name: "XT_ARRAY_BOOL count past its item", send: [][]byte{sexpMsg(qap1.CmdEval, le32(qap1.XtArrayBool|8<<8, 0xffffffff, 0x01010101))}, want: qap1.ErrInvPar},
		{name: "XT_LARGE item of 2^55 bytes", send: [][]byte{sexpMsg(qap1.CmdEval, le32(qap1.XtArrayInt|qap1.XtLarge, 0xffffffff, 1))}, want: qap1.ErrInvPar},
		{name: "SEXP nesting bomb", send: [][]byte{sexpMsg(qap1.CmdEval, nest)}, want: qap1.ErrInvPar},
		{name: "call nested 400 deep", send: [][]byte{sexpMsg(qap1.CmdEval, deepSEXP)}, want: qap1.ErrInvPar},
		{name: "XT_UNKNOWN assigned", send: [][]byte{qap1.Message(qap1.CmdSetSEXP, 0, qap1.StringParam("e"), append(qap1.AppendParamHead(nil, qap1.DtSexp, 8), le32(qap1.XtUnknown|4<<8, 4)...))}, want: qap1.ErrInvPar},
		{name: "serEval garbage", send: [][]byte{qap1.Message(qap1.CmdSerEval, 0, []byte("X\n\x00\x00\x00\x02junkjunk"))}, want: qap1.ErrInvPar},
		{name: "serEval list nested 100000 deep", send: [][]byte{qap1.Message(qap1.CmdSerEval, 0, deepList)}, want: qap1.ErrInvPar},
		{name: "serEval 1:1e15", send: [][]byte{qap1.Message(qap1.CmdSerEval, 0, bigSeq)}, want: qap1.ErrInvPar},
		{name: "serAssign a closure", send: [][]byte{qap1.Message(qap1.CmdSerAssign, 0, closure)}, want: qap1.ErrAccessDenied},
		{name: "serAssign not a list", send: [][]byte{qap1.Message(qap1.CmdSerAssign, 0, bigSeq[:len(bigSeq)-4])}, want: qap1.ErrInvPar},
		{name: "code that is not UTF-8", send: [][]byte{eval("'\xff\xfe'")}, want: qap1.StatusParseError},
		{name: "unknown command", send: [][]byte{qap1.Message(-559038737, 0)}, want: qap1.ErrInvCmd},
		{name: "OCcall", send: [][]byte{qap1.Message(qap1.CmdOCcall, 0)}, want: qap1.ErrInvCmd},
		{name: "shutdown", send: [][]byte{qap1.Message(qap1.CmdShutdown, 0)}, want: qap1.ErrAccessDenied},
		{name: "switch without TLS", send: [][]byte{qap1.Message(qap1.CmdSwitch, 0, qap1.StringParam("TLS"))}, want: qap1.ErrDisabled},
		{name: "eval before login", listener: "login", send: [][]byte{eval("1+1")}, want: qap1.ErrAuthFailed, closed: true},
		{name: "assign before login", listener: "login", send: [][]byte{qap1.Message(qap1.CmdSetSEXP, 0, qap1.StringParam("x"), qap1.StringParam("y"))}, want: qap1.ErrAuthFailed, closed: true},
		{name: "wrong password", listener: "login", send: [][]byte{qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice\nguess"))}, want: qap1.ErrAuthFailed, closed: true},
		{name: "login without a newline", listener: "login", send: [][]byte{qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice"))}, want: qap1.ErrAuthFailed, closed: true},
		{name: "second keyReq", listener: "login", send: [][]byte{qap1.Message(qap1.CmdKeyReq, 0, qap1.StringParam("rsa-authkey")), qap1.Message(qap1.CmdKeyReq, 0, qap1.StringParam("rsa-authkey"))}, want: qap1.ErrSecurityClose, closed: true},
		{name: "secLogin without keyReq", listener: "login", send: [][]byte{qap1.Message(qap1.CmdSecLogin, 0, qap1.BytesParam(bytes.Repeat([]byte{1}, 384)))}, want: qap1.ErrAuthFailed, closed: true},
		{name: "secLogin garbage", listener: "login", send: [][]byte{qap1.Message(qap1.CmdKeyReq, 0, qap1.StringParam("rsa-authkey")), qap1.Message(qap1.CmdSecLogin, 0, qap1.BytesParam(bytes.Repeat([]byte{7}, 384)))}, want: qap1.ErrAuthFailed, closed: true},
		{name: "secLogin of 64 RSA blocks", listener: "login", send: [][]byte{qap1.Message(qap1.CmdKeyReq, 0, qap1.StringParam("rsa-authkey")), qap1.Message(qap1.CmdSecLogin, 0, qap1.BytesParam(bytes.Repeat([]byte{7}, 64*384)))}, want: qap1.ErrInvPar, closed: true},
		{name: "secLogin of 2 RSA blocks", listener: "login", send: [][]byte{qap1.Message(qap1.CmdKeyReq, 0, qap1.StringParam("rsa-authkey")), qap1.Message(qap1.CmdSecLogin, 0, qap1.BytesParam(bytes.Repeat([]byte{7}, 2*384)))}, want: qap1.ErrInvPar, closed: true},
		{name: "plaintext on TLS listener, eval before switch", listener: "tls", send: [][]byte{eval("1+1")}, want: qap1.ErrAuthFailed, closed: true},
		{name: "plaintext password on TLS listener", listener: "tls", send: [][]byte{qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice\n"+alicePassword))}, want: qap1.ErrAuthFailed, closed: true},
		{name: "junk ClientHello", listener: "tls", send: [][]byte{{0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5, 6, 7}}, closed: true},
	}
}

func le32be(words ...uint32) []byte {
	var b []byte
	for _, w := range words {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return b
}

// Acceptance 4: hostile QAP inputs each get an error answer or a closed
// connection, never a crash; a good client is served throughout.
func TestQAP1Hostile(t *testing.T) {
	// Every hostile connection that gets as far as a session holds one of
	// guest's sessions; allow them all at once.
	e := startQAP(t, qapOptions{guestSessions: 64, poolMax: 48, readTimeout: "2s"})
	cases := hostileCases(t)
	require.GreaterOrEqual(t, len(cases), 25)

	// A good client keeps evaluating on its own connection meanwhile.
	stop := make(chan struct{})
	var goodWG sync.WaitGroup
	var goodEvals int
	var goodErr error
	goodWG.Add(1)
	go func() {
		defer goodWG.Done()
		// From its own address: the hostile clients' denials from
		// 127.0.0.1 meet that anonymous address's request limits.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
		c, err := d.Dial("tcp", e.anon)
		if err != nil {
			goodErr = err
			return
		}
		defer c.Close()
		var id [32]byte
		_ = c.SetDeadline(time.Now().Add(time.Minute))
		if _, err := io.ReadFull(c, id[:]); err != nil {
			goodErr = err
			return
		}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			if _, err := c.Write(qap1.Message(qap1.CmdEval, 0, qap1.StringParam("sum(1:10)"))); err != nil {
				goodErr = err
				return
			}
			h, err := qap1.ReadHeader(c)
			if err == nil {
				_, err = qap1.ReadPayload(c, h, 1<<20)
			}
			if err != nil || h.Cmd != qap1.RespOK {
				goodErr = errors.Join(err, errors.New("good client's eval failed"))
				return
			}
			goodEvals++
		}
	}()

	var wg sync.WaitGroup
	for _, hc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runHostile(t, e, hc)
		}()
	}
	wg.Wait()
	close(stop)
	goodWG.Wait()
	require.NoError(t, goodErr)
	t.Logf("good client: %d evaluations", goodEvals)
	assert.Positive(t, goodEvals)

	// The server is still healthy for new clients too.
	q := dialQAP(t, "tcp", e.anon, nil)
	assert.Equal(t, []float64{3}, q.mustEval("1 + 2").Reals)

	// Issue 14: a refused command repeated 200 times on one connection is
	// answered every time, but past the denial bucket (20) only the flood
	// aggregation's first records (5) are written in full; the rest wait
	// for the window's summary.
	t.Run("CMD_shutdown 200 times on one connection", func(t *testing.T) {
		c, err := dialFrom("127.0.0.97", e.anon)
		require.NoError(t, err)
		defer c.Close()
		for i := range 200 {
			cmd, _, err := qapCall(c, qap1.CmdShutdown)
			require.NoError(t, err, "answer %d", i)
			require.Equal(t, qap1.ErrAccessDenied, qap1.Status(cmd), "answer %d", i)
		}
		full := 0
		_, err = audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventAccessDenied}, func(r *audit.Record) error {
			if strings.HasPrefix(r.Remote, "127.0.0.97:") {
				full++
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, 25, full)
	})
}

func runHostile(t *testing.T, e *qapE2E, hc hostileCase) {
	var c net.Conn
	var err error
	switch hc.listener {
	case "login":
		c, err = net.Dial("tcp", e.login)
	case "tls":
		c, err = net.Dial("tcp", e.tls)
	default:
		c, err = net.Dial("tcp", e.anon)
	}
	if !assert.NoError(t, err, hc.name) {
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	if hc.listener != "tls" || hc.send[0][0] != 0x16 {
		var id [32]byte
		if _, err := io.ReadFull(c, id[:]); !assert.NoError(t, err, hc.name) {
			return
		}
	}
	for _, b := range hc.send {
		if _, err := c.Write(b); err != nil {
			break // the server may have closed already
		}
	}
	if hc.want != 0 {
		var status int
		for {
			h, err := qap1.ReadHeader(c)
			if !assert.NoError(t, err, "%s: no answer", hc.name) {
				return
			}
			if _, err := qap1.ReadPayload(c, h, 1<<20); !assert.NoError(t, err, hc.name) {
				return
			}
			if h.Cmd != qap1.RespOK { // e.g. the first keyReq of "second keyReq"
				status = qap1.Status(h.Cmd)
				break
			}
		}
		assert.Equal(t, hc.want, status, "%s: answer status", hc.name)
	}
	if hc.closed {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "%s: connection not closed", hc.name)
	} else {
		// Still served: the connection works after the bad command.
		_, err := c.Write(qap1.Message(qap1.CmdEval, 0, qap1.StringParam("2L")))
		if assert.NoError(t, err, hc.name) {
			h, err := qap1.ReadHeader(c)
			if assert.NoError(t, err, "%s: connection dropped after an error answer", hc.name) {
				assert.Equal(t, int32(qap1.RespOK), h.Cmd, hc.name)
			}
		}
	}
}
