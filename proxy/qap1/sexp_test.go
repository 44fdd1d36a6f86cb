package qap1_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
)

func rCases() string {
	q := make([]string, len(qapCases))
	for i, c := range qapCases {
		q[i] = testutil.RString(c)
	}
	return "cases <- c(" + strings.Join(q, ",\n") + ")\n"
}

// Values rwarden encodes must decode, in RSclient's own C decoder, to
// objects identical() to the originals.
func TestEncodeSEXPDecodedByRSclient(t *testing.T) {
	dir := t.TempDir()
	testutil.NeedRPackage(t, "RSclient")
	testutil.RunR(t, dir, rCases()+`
for (i in seq_along(cases)) writeBin(serialize(eval(parse(text = cases[i])), NULL), sprintf("v%03d.bin", i))
`)
	for i, c := range qapCases {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("v%03d.bin", i+1)))
		require.NoError(t, err)
		v, err := rdata.Unserialize(data, rdata.Limits{})
		require.NoError(t, err, c)
		p, err := qap1.SEXPParam(v)
		require.NoError(t, err, c)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("q%03d.bin", i+1)), p, 0o644))

		// And rwarden's own decoder reads it back to the same value.
		back, err := qap1.DecodeSEXP(p[4:], qap1.DecodeOptions{})
		require.NoError(t, err, c)
		assert.True(t, rdata.EqualLang(v, back), "%s: DecodeSEXP(EncodeSEXP(x)) differs", c)
	}
	out := testutil.RunR(t, dir, rCases()+`
for (i in seq_along(cases)) {
  x <- eval(parse(text = cases[i]))
  q <- readBin(sprintf("q%03d.bin", i), "raw", 1e8)
  y <- .Call(RSclient:::RS_decode, q)
  cat(i, identical(x, y), "\n")
}
`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var n int
		var ok string
		_, err := fmt.Sscanf(l, "%d %s", &n, &ok)
		require.NoError(t, err)
		assert.Equal(t, "TRUE", ok, "RSclient decodes %s differently", qapCases[n-1])
	}
}

// What RSclient encodes (RS.eval.qap sends its argument as DT_SEXP) must
// decode to the value R serializes for the same object. A minimal server
// here captures the payloads.
func TestDecodeSEXPFromRSclient(t *testing.T) {
	dir := t.TempDir()
	testutil.NeedRPackage(t, "RSclient")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	payloads := make(chan []byte, len(qapCases))
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		id := qap1.IDString(false, false)
		_, _ = c.Write(id[:])
		null, _ := qap1.SEXPParam(rdata.Null())
		for {
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			h, err := qap1.ReadHeader(c)
			if err != nil {
				return
			}
			p, err := qap1.ReadPayload(c, h, 1<<24)
			if err != nil {
				return
			}
			payloads <- p
			_, _ = c.Write(qap1.Message(qap1.RespOK, h.MsgID, null))
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	testutil.RunR(t, dir, rCases()+fmt.Sprintf(`
library(RSclient)
c <- RS.connect("127.0.0.1", %d)
for (i in seq_along(cases)) {
  x <- eval(parse(text = cases[i]))
  writeBin(serialize(x, NULL), sprintf("v%%03d.bin", i))
  RS.eval.qap(c, x)
}
RS.close(c)
`, port))
	for i, c := range qapCases {
		var p []byte
		select {
		case p = <-payloads:
		case <-time.After(10 * time.Second):
			t.Fatalf("no payload for %s", c)
		}
		params, err := qap1.ParseParams(p)
		require.NoError(t, err, c)
		require.Len(t, params, 1, c)
		require.Equal(t, qap1.DtSexp, params[0].Type, c)
		got, err := qap1.DecodeSEXP(params[0].Data, qap1.DecodeOptions{})
		require.NoError(t, err, c)
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("v%03d.bin", i+1)))
		require.NoError(t, err)
		want, err := rdata.Unserialize(data, rdata.Limits{})
		require.NoError(t, err)
		assert.True(t, rdata.EqualLang(want, got), "%s: decoded %+v", c, got)
	}
}

func TestEncodeLarge(t *testing.T) {
	// 2.5M doubles: 20 MB of content, past the 24-bit length field.
	v := rdata.Reals(make([]float64, 2_500_000)...)
	p, err := qap1.SEXPParam(v)
	require.NoError(t, err)
	head := binary.LittleEndian.Uint32(p)
	assert.Equal(t, uint32(qap1.DtSexp|qap1.DtLarge), head&0xff)
	item := p[8:]
	ih := binary.LittleEndian.Uint32(item)
	assert.Equal(t, uint32(qap1.XtArrayDouble|qap1.XtLarge), ih&0xff)
	n := uint64(ih>>8) | uint64(binary.LittleEndian.Uint32(item[4:]))<<24
	assert.Equal(t, uint64(20_000_000), n)
	back, err := qap1.DecodeSEXP(item, qap1.DecodeOptions{})
	require.NoError(t, err)
	assert.Len(t, back.Reals, 2_500_000)
}

// Hostile SEXPs: each one an ErrProtocol error, with no allocation beyond
// the input.
func TestDecodeSEXPHostile(t *testing.T) {
	le := func(words ...uint32) []byte {
		var b []byte
		for _, w := range words {
			b = binary.LittleEndian.AppendUint32(b, w)
		}
		return b
	}
	nest := le()
	for range 1000 {
		nest = append(nest, le(qap1.XtVector|uint32(4)<<8)...)
	}
	nest = append(nest, le(qap1.XtNull)...)
	cases := map[string][]byte{
		"empty":                 nil,
		"short header":          {1, 2},
		"length past the end":   le(qap1.XtArrayInt|100<<8, 1),
		"large length past end": le(qap1.XtArrayInt|qap1.XtLarge, 0xffffffff, 1),
		"raw count too big":     le(qap1.XtRaw|8<<8, 1000, 0),
		"bool count too big":    le(qap1.XtArrayBool|8<<8, 0xffffffff, 0),
		"bool no count":         le(qap1.XtArrayBool),
		"int odd size":          append(le(qap1.XtArrayInt|3<<8), 1, 2, 3),
		"double odd size":       le(qap1.XtArrayDouble|4<<8, 0),
		"closure":               le(qap1.XtClos),
		"unknown":               le(qap1.XtUnknown|4<<8, 3),
		"type 99":               le(99),
		"attr not list":         le(qap1.XtNull|qap1.XtHasAttr|8<<8, qap1.XtArrayInt|4<<8, 1),
		"attr untagged":         le(qap1.XtArrayInt|qap1.XtHasAttr|12<<8, qap1.XtListNoTag|4<<8, qap1.XtNull, 5),
		"nesting bomb":          nest,
		"tag is a number":       le(qap1.XtListTag|16<<8, qap1.XtNull, qap1.XtArrayInt|4<<8, 1, 0),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			v, err := qap1.DecodeSEXP(b, qap1.DecodeOptions{})
			assert.ErrorIs(t, err, qap1.ErrProtocol, "decoded %+v", v)
		})
	}
}

func TestParseParams(t *testing.T) {
	str := qap1.StringParam("1+1")
	ps, err := qap1.ParseParams(append(str, 0)) // roger adds one zero byte
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, qap1.DtString, ps[0].Type)
	assert.Equal(t, "1+1", ps[0].String())

	two := append(qap1.StringParam("x"), qap1.IntParam(7)...)
	ps, err = qap1.ParseParams(two)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	i, ok := ps[1].Int()
	assert.True(t, ok)
	assert.Equal(t, int32(7), i)

	big := make([]byte, 0x1000000)
	ps, err = qap1.ParseParams(qap1.BytesParam(big))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Len(t, ps[0].Data, len(big))

	for name, b := range map[string][]byte{
		"length past end":  {qap1.DtString, 0xff, 0xff, 0x7f, 'a'},
		"large past end":   {qap1.DtString | qap1.DtLarge, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
		"large head short": {qap1.DtString | qap1.DtLarge, 0, 0, 0},
		"stray bytes":      append(qap1.IntParam(1), 9, 9),
		"17 params":        []byte(strings.Repeat(string(qap1.IntParam(1)), 17)),
	} {
		_, err := qap1.ParseParams(b)
		assert.ErrorIs(t, err, qap1.ErrProtocol, name)
	}
}

func TestHeader(t *testing.T) {
	h := qap1.Header{Cmd: qap1.CmdEval, Len: 1<<40 + 5, MsgID: 77}
	b := qap1.AppendHeader(nil, h)
	require.Len(t, b, qap1.HeaderSize)
	got, err := qap1.ParseHeader(b)
	require.NoError(t, err)
	assert.Equal(t, h, got)

	max := qap1.AppendHeader(nil, qap1.Header{Cmd: 3})
	binary.LittleEndian.PutUint32(max[4:], 0xffffffff)
	binary.LittleEndian.PutUint32(max[12:], 0xffffffff)
	_, err = qap1.ParseHeader(max)
	assert.ErrorIs(t, err, qap1.ErrProtocol, "2^64-1 does not fit")

	_, err = qap1.ReadPayload(strings.NewReader(""), qap1.Header{Len: 1 << 62}, 1<<20)
	assert.ErrorIs(t, err, qap1.ErrTooLarge)
	_, err = qap1.ReadPayload(strings.NewReader("abc"), qap1.Header{Len: 10}, 1<<20)
	assert.ErrorIs(t, err, qap1.ErrProtocol)
	_, err = qap1.ReadHeader(strings.NewReader("12345"))
	assert.ErrorIs(t, err, qap1.ErrProtocol)
	_, err = qap1.ReadHeader(strings.NewReader(""))
	assert.ErrorIs(t, err, io.EOF)
}

func TestIDString(t *testing.T) {
	id := qap1.IDString(true, true)
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\nARptTLS\n------\r\n", string(id[:]))
	id = qap1.IDString(false, false)
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\n--------------\r\n", string(id[:]))
	id = qap1.IDString(false, true)
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\nTLS\n----------\r\n", string(id[:]))
}
