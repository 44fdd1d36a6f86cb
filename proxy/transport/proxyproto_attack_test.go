package transport

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Red-team attacks on the PROXY protocol listener: a client that is not a
// balancer splitting a header over many reads so that no single read
// holds the signature, a balancer's header that names no TCP client, a
// client behind the balancer adding a header of its own, a header
// trickled past the header timeout, and a header with large TLVs.
func TestProxyProtocolAttacks(t *testing.T) {
	addr := echoProxyListener(t, false, 100)
	refused := "ERR " + ErrProxyHeaderRefused.Error()
	v2 := func(t *testing.T, src string) []byte { return header(t, 2, proxyproto.PROXY, src) }
	for _, tc := range []struct {
		name, from string
		pieces     func(t *testing.T) [][]byte // written one after another, with a pause
		pause      time.Duration
		want       string // the answer's prefix; "" = closed without an answer
	}{
		{"other address: v2 header one byte a read", "127.0.0.1", func(t *testing.T) [][]byte {
			return bytePieces(append(v2(t, "192.0.2.7:5555"), "hello\n"...))
		}, 2 * time.Millisecond, refused},
		{"other address: v1 header one byte a read", "127.0.0.1", func(t *testing.T) [][]byte {
			return bytePieces(append(header(t, 1, proxyproto.PROXY, "192.0.2.7:5555"), "hello\n"...))
		}, 2 * time.Millisecond, refused},
		{"other address: v1 signature split after PROX", "127.0.0.1", func(*testing.T) [][]byte {
			return [][]byte{[]byte("PROX"), []byte("Y TCP4 192.0.2.7 127.0.0.1 5555 9090\r\nhello\n")}
		}, 50 * time.Millisecond, refused},
		// As the protocol says: the balancer does not know the client,
		// the connection keeps its real address (the balancer's).
		{"balancer: v1 UNKNOWN names no client", "127.0.0.10", func(*testing.T) [][]byte {
			return [][]byte{[]byte("PROXY UNKNOWN\r\nhello\n")}
		}, 0, "127.0.0.10:"},
		{"balancer: v2 UDP client", "127.0.0.10", func(t *testing.T) [][]byte {
			h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.UDPv4,
				SourceAddr:      &net.UDPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555},
				DestinationAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}}
			b, err := h.Format()
			require.NoError(t, err)
			return [][]byte{append(b, "hello\n"...)}
		}, 0, ""},
		{"balancer: v2 unix socket client", "127.0.0.10", func(t *testing.T) [][]byte {
			h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.UnixStream,
				SourceAddr:      &net.UnixAddr{Net: "unix", Name: "/tmp/a"},
				DestinationAddr: &net.UnixAddr{Net: "unix", Name: "/tmp/b"}}
			b, err := h.Format()
			require.NoError(t, err)
			return [][]byte{append(b, "hello\n"...)}
		}, 0, ""},
		{"balancer: the client's own header after the balancer's changes nothing", "127.0.0.10", func(t *testing.T) [][]byte {
			return [][]byte{append(append(v2(t, "192.0.2.7:5555"), header(t, 1, proxyproto.PROXY, "10.6.6.6:1")...), "hello\n"...)}
		}, 0, "192.0.2.7:5555 PROXY TCP4 10.6.6.6 "},
		{"balancer: header trickled past the header timeout", "127.0.0.10", func(t *testing.T) [][]byte {
			b := append(v2(t, "192.0.2.7:5555"), "hello\n"...)
			return [][]byte{b[:8], b[8:12], b[12:16], b[16:]}
		}, 150 * time.Millisecond, ""},
		{"balancer: v2 header with 3 KB of TLVs", "127.0.0.10", func(t *testing.T) [][]byte {
			return [][]byte{append(tlvHeader(t, 3000), "hello\n"...)}
		}, 0, "192.0.2.7:5555 hello\n"},
		// More than the reader buffers (4 KB): refused, not read without bound.
		{"balancer: v2 header with 60 KB of TLVs", "127.0.0.10", func(t *testing.T) [][]byte {
			return [][]byte{append(tlvHeader(t, 60000), "hello\n"...)}
		}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialProxyFrom(t, tc.from, addr)
			for _, p := range tc.pieces(t) {
				if _, err := c.Write(p); err != nil {
					break // the server closed the connection part way
				}
				time.Sleep(tc.pause)
			}
			got, _ := io.ReadAll(c)
			if tc.want == "" {
				assert.Empty(t, string(got))
				return
			}
			assert.True(t, strings.HasPrefix(string(got), tc.want), "answer %q, want prefix %q", got, tc.want)
		})
	}
}

// bytePieces splits b into one-byte writes (with TCP_NODELAY each is a
// segment of its own, so the server reads the header in many pieces).
func bytePieces(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

// tlvHeader is a v2 header naming 192.0.2.7:5555 with a NOOP TLV of n bytes.
func tlvHeader(t *testing.T, n int) []byte {
	h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
		SourceAddr:      &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555},
		DestinationAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}}
	require.NoError(t, h.SetTLVs([]proxyproto.TLV{{Type: proxyproto.PP2_TYPE_NOOP, Value: make([]byte, n)}}))
	b, err := h.Format()
	require.NoError(t, err)
	return b
}
