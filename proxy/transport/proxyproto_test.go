package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// echoProxyListener serves a proxy_protocol listener trusting 127.0.0.10
// whose handler answers "<remote> <first line>\n", or "ERR <error>\n" when
// reading the line fails.
// refusals records what a listener handed to its refuse function.
type refusals struct {
	mu      sync.Mutex
	reasons map[string]int
}

func (r *refusals) count(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reasons[reason]
}

func echoProxyListener(t *testing.T, optional bool, perAddress int) string {
	addr, _ := echoProxyListenerRefusals(t, optional, perAddress)
	return addr
}

func echoProxyListenerRefusals(t *testing.T, optional bool, perAddress int) (string, *refusals) {
	t.Helper()
	lc := config.NewListener("127.0.0.1:0")
	lc.Plaintext = true
	lc.ProxyProtocol = &config.ProxyProtocolConfig{From: []string{"127.0.0.10/32"}, Optional: optional,
		HeaderTimeout: config.Duration(300 * time.Millisecond)}
	l, err := Open(context.Background(), lc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	tracker := NewLimitedTracker(ConnLimits{PerAddress: perAddress})
	ref := &refusals{reasons: map[string]int{}}
	go l.Accept(tracker, slog.New(slog.NewTextHandler(io.Discard, nil)), func(c *Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			_, _ = io.WriteString(c, "ERR "+err.Error()+"\n")
			// Read what is left, so that closing sends no reset ahead of
			// the answer.
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, _ = io.Copy(io.Discard, c.NetConn())
			return
		}
		_, _ = io.WriteString(c, c.RemoteAddr().String()+" "+line)
	}, func(_ net.Conn, r *Refused) {
		ref.mu.Lock()
		ref.reasons[r.Reason]++
		ref.mu.Unlock()
	})
	return l.Addr().String(), ref
}

func dialProxyFrom(t *testing.T, from, to string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", to)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func header(t *testing.T, version byte, cmd proxyproto.ProtocolVersionAndCommand, src string) []byte {
	t.Helper()
	h := &proxyproto.Header{Version: version, Command: cmd, TransportProtocol: proxyproto.TCPv4,
		SourceAddr:      net.TCPAddrFromAddrPort(mustAddrPort(t, src)),
		DestinationAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}}
	b, err := h.Format()
	require.NoError(t, err)
	return b
}

func TestProxyProtocol(t *testing.T) {
	addr, ref := echoProxyListenerRefusals(t, false, 100)
	for _, tc := range []struct {
		name, from string
		send       func(t *testing.T) []byte
		want       string // the answer's prefix; "" = connection closed without an answer
	}{
		{"balancer v2 names the client", "127.0.0.10", func(t *testing.T) []byte {
			return append(header(t, 2, proxyproto.PROXY, "192.0.2.7:5555"), "hello\n"...)
		}, "192.0.2.7:5555 hello\n"},
		{"balancer v1 names the client", "127.0.0.10", func(t *testing.T) []byte {
			return append(header(t, 1, proxyproto.PROXY, "192.0.2.8:6666"), "hi\n"...)
		}, "192.0.2.8:6666 hi\n"},
		{"balancer LOCAL keeps its own address", "127.0.0.10", func(t *testing.T) []byte {
			return append(header(t, 2, proxyproto.LOCAL, "192.0.2.9:7777"), "check\n"...)
		}, "127.0.0.10:"},
		{"balancer without a header is refused", "127.0.0.10", func(*testing.T) []byte {
			return []byte("hello\n")
		}, ""},
		{"balancer with a broken header is refused", "127.0.0.10", func(t *testing.T) []byte {
			h := header(t, 2, proxyproto.PROXY, "192.0.2.7:5555")
			h[13] = 0x7f // an unknown protocol family
			return append(h, "hello\n"...)
		}, ""},
		{"other address with a v2 header is refused", "127.0.0.1", func(t *testing.T) []byte {
			return append(header(t, 2, proxyproto.PROXY, "192.0.2.7:5555"), "hello\n"...)
		}, "ERR " + ErrProxyHeaderRefused.Error()},
		{"other address with a v1 header is refused", "127.0.0.1", func(t *testing.T) []byte {
			return append(header(t, 1, proxyproto.PROXY, "192.0.2.7:5555"), "hello\n"...)
		}, "ERR " + ErrProxyHeaderRefused.Error()},
		{"other address without a header keeps its address", "127.0.0.1", func(*testing.T) []byte {
			return []byte("PROXIMA\n")
		}, "127.0.0.1:"},
		{"other address: bytes like a v2 signature's start pass", "127.0.0.1", func(*testing.T) []byte {
			return []byte("\r\n\r\nX\n")
		}, "127.0.0.1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialProxyFrom(t, tc.from, addr)
			_, err := c.Write(tc.send(t))
			require.NoError(t, err)
			got, err := io.ReadAll(c)
			require.NoError(t, err)
			if tc.want == "" {
				assert.Empty(t, string(got))
				return
			}
			assert.True(t, strings.HasPrefix(string(got), tc.want), "answer %q, want prefix %q", got, tc.want)
		})
	}
	// Every refusal reached the listener's refuse function (counted and
	// logged rate-limited by the server), with its reason.
	assert.Equal(t, 2, ref.count(RefusedProxyHeader))
	assert.Equal(t, 2, ref.count(RefusedProxyInvalid))
}

// A balancer that sends nothing is cut at the header timeout; the per-address
// limit (1 here) does not count a balancer's connections, which carry many
// clients.
func TestProxyProtocolHeaderTimeoutAndBalancerLimit(t *testing.T) {
	addr := echoProxyListener(t, false, 1)
	silent := dialProxyFrom(t, "127.0.0.10", addr)
	second := dialProxyFrom(t, "127.0.0.10", addr)
	_, err := second.Write(append(header(t, 2, proxyproto.PROXY, "192.0.2.7:5555"), "x\n"...))
	require.NoError(t, err)
	got, err := io.ReadAll(second)
	require.NoError(t, err)
	assert.Equal(t, "192.0.2.7:5555 x\n", string(got), "a second balancer connection is not over the per-address limit")

	start := time.Now()
	got, err = io.ReadAll(silent)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Less(t, time.Since(start), 3*time.Second, "closed at the header timeout")
}

func TestProxyProtocolOptional(t *testing.T) {
	addr := echoProxyListener(t, true, 100)
	c := dialProxyFrom(t, "127.0.0.10", addr)
	_, err := c.Write([]byte("plain\n"))
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(got), "127.0.0.10:"), "%q", got)
	assert.True(t, strings.HasSuffix(string(got), " plain\n"), "%q", got)
}

// chunkConn hands out its data in chunks of the given sizes (cycling), the
// way TCP may.
type chunkConn struct {
	net.Conn
	data   []byte
	chunks []int
	i      int
}

func (c *chunkConn) Read(b []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(b), len(c.data))
	if len(c.chunks) > 0 {
		n = min(n, max(1, c.chunks[c.i%len(c.chunks)]))
		c.i++
	}
	copy(b, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// readGuarded reads everything through a headerGuard.
func readGuarded(data []byte, chunks []int, bufSize int) ([]byte, bool, error) {
	refused := false
	g := &headerGuard{conn: &chunkConn{data: append([]byte(nil), data...), chunks: chunks}, refused: func() { refused = true }}
	var out []byte
	buf := make([]byte, max(1, bufSize))
	for {
		n, err := g.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, refused, err
		}
	}
}

// timeoutConn returns a timeout (as an expired read deadline does) before
// each of its chunks.
type timeoutConn struct {
	net.Conn
	chunks  [][]byte
	timeout bool
}

func (c *timeoutConn) Read(b []byte) (int, error) {
	if c.timeout = !c.timeout; c.timeout {
		return 0, os.ErrDeadlineExceeded
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.chunks[0])
	c.chunks = c.chunks[1:]
	return n, nil
}

// A read deadline that expires is not the end of the connection: the
// front end may read again (QAP1's wait for a TLS client's first byte),
// and the check goes on where it was.
func TestHeaderGuardTimeoutIsTransient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		chunks  []string
		want    string
		refused bool
	}{
		{"plain data", []string{"\x16\x03", "\x01rest"}, "\x16\x03\x01rest", false},
		{"a v1 header across timeouts", []string{"PR", "OX", "Y TCP4"}, "", true},
		{"a v2 header across timeouts", []string{"\r\n\r\n", "\x00\r\nQUIT\n"}, "", true},
		{"a signature's start, then data", []string{"\r\n", "GET"}, "\r\nGET", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := &timeoutConn{}
			for _, c := range tc.chunks {
				conn.chunks = append(conn.chunks, []byte(c))
			}
			refused := false
			g := &headerGuard{conn: conn, refused: func() { refused = true }}
			var got []byte
			timeouts := 0
			for {
				var buf [64]byte
				n, err := g.Read(buf[:])
				got = append(got, buf[:n]...)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					timeouts++
					require.Less(t, timeouts, 20)
					continue
				}
				if err != nil {
					if tc.refused {
						require.ErrorIs(t, err, ErrProxyHeaderRefused)
					} else {
						require.ErrorIs(t, err, io.EOF)
					}
					break
				}
			}
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, tc.refused, refused)
		})
	}
}

func startsWithSignature(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PROXY ")) || bytes.HasPrefix(data, proxyproto.SIGV2)
}

// FuzzHeaderGuard: whatever the bytes and however they arrive, a stream
// that begins with a PROXY signature is refused without handing on a
// byte, and any other stream is handed on unchanged.
func FuzzHeaderGuard(f *testing.F) {
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nx"), byte(1), byte(3), byte(7))
	f.Add(append(append([]byte(nil), proxyproto.SIGV2...), 0x21, 0x11, 0, 0), byte(5), byte(1), byte(16))
	f.Add([]byte("POST / HTTP/1.1\r\n"), byte(2), byte(2), byte(1))
	f.Add([]byte("\r\n\r\n\x00\r\nQUI"), byte(1), byte(1), byte(4))
	f.Add([]byte("UTF-8\n\x05\x00\x00\x00\x00\x00\x00\x001+1\n"), byte(3), byte(9), byte(2))
	f.Add([]byte{}, byte(1), byte(1), byte(1))
	f.Fuzz(func(t *testing.T, data []byte, c1, c2, bufSize byte) {
		out, refused, err := readGuarded(data, []int{int(c1), int(c2)}, int(bufSize))
		if startsWithSignature(data) {
			require.ErrorIs(t, err, ErrProxyHeaderRefused)
			require.True(t, refused)
			require.Empty(t, out)
			return
		}
		require.NoError(t, err)
		require.False(t, refused)
		require.Equal(t, string(data), string(out))
	})
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	require.NoError(t, err)
	return ap
}
