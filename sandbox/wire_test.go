package sandbox

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resultPayload builds a RESULT payload the way harness.R encodes it.
func resultPayload(nonce []byte, status int32, msgs, warns []string, errText string, value []byte, hasValue bool) []byte {
	var p []byte
	p = append(p, nonce...)
	p = append(p, i32(status)...)
	p = append(p, i32(int32(len(msgs)))...)
	for _, m := range msgs {
		p = append(p, str(m)...)
	}
	p = append(p, i32(int32(len(warns)))...)
	for _, w := range warns {
		p = append(p, str(w)...)
	}
	p = append(p, str(errText)...)
	if hasValue {
		p = append(p, i32(int32(len(value)))...)
		p = append(p, value...)
	} else {
		p = append(p, i32(-1)...)
	}
	return p
}

func i32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func str(s string) []byte { return append(i32(int32(len(s))), s...) }

func TestDecodeResult(t *testing.T) {
	nonce := make([]byte, nonceLen)
	for i := range nonce {
		nonce[i] = byte(i)
	}
	good := resultPayload(nonce, hsError, []string{"m1", "m2"}, []string{"w"}, "Error: x\n", []byte{1, 2, 3}, true)
	res, err := decodeResult(good, false)
	require.NoError(t, err)
	assert.Equal(t, nonce, res.Nonce)
	assert.Equal(t, int32(hsError), res.Status)
	assert.Equal(t, []string{"m1", "m2"}, res.Messages)
	assert.Equal(t, []string{"w"}, res.Warnings)
	assert.Equal(t, "Error: x\n", res.Error)
	assert.True(t, res.HasValue)
	assert.Equal(t, []byte{1, 2, 3}, res.Value)

	noValue := resultPayload(nonce, hsOK, nil, nil, "", nil, false)
	res, err = decodeResult(noValue, false)
	require.NoError(t, err)
	assert.False(t, res.HasValue)

	bad := map[string][]byte{
		"empty":          nil,
		"short nonce":    nonce[:5],
		"trailing bytes": append(append([]byte{}, good...), 0),
		"truncated":      good[:len(good)-2],
		"bad status":     resultPayload(nonce, 9, nil, nil, "", nil, false),
	}
	// A list count far beyond the payload must not allocate.
	huge := append([]byte{}, nonce...)
	huge = append(huge, 0, 0, 0, 0)             // status
	huge = append(huge, 0xff, 0xff, 0xff, 0x7f) // message count 2^31-1
	bad["huge count"] = huge
	negLen := resultPayload(nonce, hsOK, nil, nil, "", nil, false)
	binary.LittleEndian.PutUint32(negLen[len(negLen)-4:], uint32(0xfffffff0))
	bad["negative value length"] = negLen
	for name, p := range bad {
		_, err := decodeResult(p, false)
		assert.ErrorIs(t, err, errProtocol, name)
	}
}

func TestDecodeResultPlots(t *testing.T) {
	nonce := make([]byte, nonceLen)
	base := resultPayload(nonce, hsOK, nil, nil, "", nil, false)
	withPlots := append(append([]byte{}, base...), i32(2)...)
	withPlots = append(withPlots, str("PNG1")...)
	withPlots = append(withPlots, str("<svg/>")...)
	withPlots = append(withPlots, str("PNG2")...)
	withPlots = append(withPlots, str("")...)
	res, err := decodeResult(withPlots, true)
	require.NoError(t, err)
	require.Len(t, res.Plots, 2)
	assert.Equal(t, "PNG1", string(res.Plots[0].PNG))
	assert.Equal(t, "<svg/>", string(res.Plots[0].SVG))
	assert.Empty(t, res.Plots[1].SVG)

	// Without the request's flag, plots are trailing bytes.
	_, err = decodeResult(withPlots, false)
	assert.ErrorIs(t, err, errProtocol)
	// The harness sends no list when it has no plots (an aborted run).
	res, err = decodeResult(base, true)
	require.NoError(t, err)
	assert.Empty(t, res.Plots)
	for name, tail := range map[string][]byte{
		"too many":  i32(maxPlots + 1),
		"negative":  i32(-1),
		"truncated": append(i32(1), str("PNG")...),
	} {
		_, err := decodeResult(append(append([]byte{}, base...), tail...), true)
		assert.ErrorIs(t, err, errProtocol, name)
	}
}

func TestParseRespHeader(t *testing.T) {
	h := func(typ, n uint32) []byte {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, typ)
		binary.LittleEndian.PutUint32(b[4:], n)
		return b
	}
	typ, n, err := parseRespHeader(h(respResult, 100), 1000)
	require.NoError(t, err)
	assert.Equal(t, respResult, typ)
	assert.Equal(t, 100, n)
	for name, hdr := range map[string][]byte{
		"unknown type": h(99, 1),
		"too long":     h(respResult, 1001),
		"negative":     h(respResult, 0x80000000),
		"short":        h(respResult, 1)[:7],
	} {
		_, _, err := parseRespHeader(hdr, 1000)
		assert.ErrorIs(t, err, errProtocol, name)
	}
}

func TestEncodeRequest(t *testing.T) {
	nonce := make([]byte, nonceLen)
	b, err := encodeRequest(reqEval, flagWantValue, nonce, []byte("1+1"))
	require.NoError(t, err)
	require.Len(t, b, reqHeaderLen+nonceLen+3)
	assert.Equal(t, reqEval, binary.LittleEndian.Uint32(b[0:]))
	assert.Equal(t, flagWantValue, binary.LittleEndian.Uint32(b[4:]))
	assert.Equal(t, uint32(nonceLen+3), binary.LittleEndian.Uint32(b[8:]))
	_, err = encodeRequest(reqEval, 0, nonce, make([]byte, maxRequestBody))
	assert.Error(t, err)
}

func TestDecodeBound(t *testing.T) {
	nonce := make([]byte, nonceLen)
	p := append(append([]byte{}, nonce...), 3, 0, 0, 0, 'b', 'a', 'd')
	n, e, err := decodeBound(p)
	require.NoError(t, err)
	assert.Equal(t, nonce, n)
	assert.Equal(t, "bad", e)
	_, _, err = decodeBound(append(p, 0))
	assert.ErrorIs(t, err, errProtocol)
}

func FuzzDecodeResult(f *testing.F) {
	nonce := make([]byte, nonceLen)
	f.Add(resultPayload(nonce, hsOK, []string{"a"}, []string{"b"}, "c", []byte{9}, true))
	f.Add(resultPayload(nonce, hsSyntax, nil, nil, "Error: x", nil, false))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		res, err := decodeResult(p, len(p)%2 == 0)
		if err != nil {
			return
		}
		total := len(res.Nonce) + len(res.Error) + len(res.Value)
		for _, pl := range res.Plots {
			total += len(pl.PNG) + len(pl.SVG)
		}
		for _, s := range append(res.Messages, res.Warnings...) {
			total += len(s)
		}
		if total > len(p) {
			t.Fatalf("decoded %d bytes of content from a %d-byte payload", total, len(p))
		}
	})
}

func FuzzParseRespHeader(f *testing.F) {
	f.Add([]byte{11, 0, 0, 0, 5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, h []byte) {
		_, n, err := parseRespHeader(h, 1<<20)
		if err == nil && (n < 0 || n > 1<<20) {
			t.Fatalf("accepted length %d", n)
		}
	})
}

func TestDecodeFile(t *testing.T) {
	nonce := make([]byte, nonceLen)
	ok := append(append(append([]byte{}, nonce...), str("")...), str("data")...)
	n, e, data, err := decodeFile(ok)
	require.NoError(t, err)
	assert.Equal(t, nonce, n)
	assert.Empty(t, e)
	assert.Equal(t, "data", string(data))
	for name, p := range map[string][]byte{
		"trailing":  append(append([]byte{}, ok...), 0),
		"truncated": ok[:len(ok)-1],
		"negative":  append(append(append([]byte{}, nonce...), str("")...), i32(-5)...),
	} {
		_, _, _, err := decodeFile(p)
		assert.ErrorIs(t, err, errProtocol, name)
	}
}
