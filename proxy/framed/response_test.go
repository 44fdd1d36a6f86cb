package framed_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteResponseFraming(t *testing.T) {
	tests := []struct {
		name, enc, text string
		wantBody        string
	}{
		{"empty", "UTF-8", "", ""},
		{"UTF-8", "UTF-8", "[1] \"café\"\n", "[1] \"café\"\n"},
		{"latin1", "latin1", "[1] \"café\"\n", "[1] \"caf\xe9\"\n"},
		{"ASCII", "ASCII", "[1] \"café\"\n", "[1] \"caf<U+00E9>\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := framed.LookupEncoding(tc.enc)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, framed.WriteResponse(&buf, enc, tc.text))
			raw := buf.Bytes()
			require.GreaterOrEqual(t, len(raw), 8)
			assert.Equal(t, uint64(len(raw)-8), binary.LittleEndian.Uint64(raw[:8]), "length field must count the encoded bytes")
			assert.Equal(t, tc.wantBody, string(raw[8:]))
		})
	}
}

// A 100,000-line answer crosses a real socket in many segments and arrives
// whole, in both the direct and the x/text code paths.
func TestLargeAnswerOverTCP(t *testing.T) {
	var sb strings.Builder
	for i := 1; i <= 100_000; i++ {
		fmt.Fprintf(&sb, "[%d] \"line %d é\"\n", i, i)
	}
	text := sb.String()
	for _, name := range []string{"UTF-8", "latin1", "windows-1252"} {
		t.Run(name, func(t *testing.T) {
			enc, err := framed.LookupEncoding(name)
			require.NoError(t, err)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			errc := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					errc <- err
					return
				}
				defer c.Close()
				errc <- framed.WriteResponse(c, enc, text)
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			body, err := framed.ReadResponse(c, 64<<20)
			require.NoError(t, err)
			require.NoError(t, <-errc)
			back, err := enc.Decode(body)
			require.NoError(t, err)
			assert.Equal(t, len(text), len(back))
			assert.True(t, string(back) == text, "answer differs after the round trip")
		})
	}
}

func TestReadResponseRefuses(t *testing.T) {
	hdr := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	tests := []struct {
		name  string
		input []byte
		max   int64
	}{
		{"nothing", nil, 100},
		{"short header", []byte{1, 2, 3}, 100},
		{"2^63", hdr(1 << 63), 100},
		{"over the limit", append(hdr(101), bytes.Repeat([]byte("x"), 101)...), 100},
		{"truncated body", append(hdr(10), "abc"...), 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := framed.ReadResponse(bytes.NewReader(tc.input), tc.max)
			assert.Error(t, err)
		})
	}
	// An over-long claim is refused after the header, without reading on.
	cr := &countingReader{r: io.MultiReader(bytes.NewReader(hdr(1<<40)), endless('x'))}
	_, err := framed.ReadResponse(cr, 1<<20)
	require.Error(t, err)
	assert.Equal(t, int64(8), cr.n)
}

func TestProtocolErrorAnswerRoundTrip(t *testing.T) {
	_, err := framed.ReadRequest(bytes.NewReader(req("KLINGON-8", nil)), framed.Limits{})
	var pe *framed.ProtocolError
	require.ErrorAs(t, err, &pe)
	var buf bytes.Buffer
	require.NoError(t, framed.WriteResponse(&buf, framed.UTF8, pe.Answer()))
	body, err := framed.ReadResponse(&buf, 0)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(body), "Error: unknown encoding"))
}
