package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func le64(n uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return b
}

func frame(enc string, code []byte) []byte {
	return append(append([]byte(enc+"\n"), le64(uint64(len(code)))...), code...)
}

// hostileResult is what a hostile client saw: an answer, or how the
// connection ended.
type hostileResult struct {
	answer string
	closed bool // ended without an answer
	took   time.Duration
}

// Acceptance 4: malformed and hostile inputs each get a clear error or a
// closed connection within the read deadline, while other clients keep
// being served.
func TestE2EHostileInputs(t *testing.T) {
	const readTimeout = 2 * time.Second
	needR(t)
	state, st := prepareState(t)
	tlsPort := freePort(t)
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`    read_timeout: %s
  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s}
    read_timeout: %s
`, readTimeout, tlsPort, l.TLS.Cert, l.TLS.Key, readTimeout),
		// The well-behaved client and the hostile frames that do reach an
		// evaluation are all the anonymous guest: with forked sessions the
		// client asks fast enough to meet guest's default session limit,
		// which is not what this test is about.
		"pool: {warm: 2, max: 8, acquire_timeout: 2m}\nlimits: {users: {guest: {sessions: 64}}}\n")
	e := struct{ plain, tlsAddr string }{srv.addr, fmt.Sprintf("127.0.0.1:%d", tlsPort)}
	clientTLS := tlsClientConfig(t, st.PKI.CACertPath)

	// A well-behaved client keeps asking while the hostile ones run.
	stop := make(chan struct{})
	var goodOK, goodBad atomic.Int32
	var goodWG sync.WaitGroup
	goodWG.Add(1)
	go func() {
		defer goodWG.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// From its own address: the hostile clients' denials from
			// 127.0.0.1 meet that anonymous address's request limits.
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
			c, err := d.Dial("tcp", e.plain)
			if err == nil {
				_ = c.SetDeadline(time.Now().Add(time.Minute))
				err = framed.WriteRequest(c, nil, "UTF-8", []byte(fmt.Sprintf("%d + 1", i)))
				var ans []byte
				if err == nil {
					ans, err = framed.ReadResponse(c, 0)
				}
				c.Close()
				if err == nil && string(ans) == fmt.Sprintf("[1] %d\n", i+1) {
					goodOK.Add(1)
					continue
				}
			}
			goodBad.Add(1)
		}
	}()

	send := func(addr string, useTLS bool, payload []byte, closeWrite bool, pace time.Duration) hostileResult {
		start := time.Now()
		var c net.Conn
		var err error
		if useTLS {
			c, err = tls.Dial("tcp", addr, clientTLS)
		} else {
			c, err = net.Dial("tcp", addr)
		}
		if err != nil {
			return hostileResult{closed: true, took: time.Since(start)}
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(readTimeout + 10*time.Second))
		if pace > 0 {
			for _, b := range payload {
				if _, err := c.Write([]byte{b}); err != nil {
					break
				}
				time.Sleep(pace)
			}
		} else {
			_, _ = c.Write(payload)
		}
		if closeWrite {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		}
		ans, err := framed.ReadResponse(c, 1<<20)
		if err != nil {
			return hostileResult{closed: true, took: time.Since(start)}
		}
		return hostileResult{answer: string(ans), took: time.Since(start)}
	}
	// repeat sends payload n times, one connection each, from the loopback
	// source address src, and returns the last result: floods from one
	// address whose later answers are the limits' refusals.
	repeat := func(src, addr string, useTLS bool, payload []byte, n int) hostileResult {
		var r hostileResult
		for range n {
			start := time.Now()
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
			var c net.Conn
			var err error
			if useTLS {
				c, err = tls.DialWithDialer(d, "tcp", addr, clientTLS)
			} else {
				c, err = d.Dial("tcp", addr)
			}
			if err != nil {
				r = hostileResult{closed: true, took: time.Since(start)}
				continue
			}
			_ = c.SetDeadline(time.Now().Add(readTimeout + 10*time.Second))
			_, _ = c.Write(payload)
			ans, err := framed.ReadResponse(c, 1<<20)
			c.Close()
			r = hostileResult{answer: string(ans), closed: err != nil, took: time.Since(start)}
		}
		return r
	}
	wantError := func(t *testing.T, r hostileResult, contains string) {
		t.Helper()
		require.False(t, r.closed, "expected an error answer, the connection was closed")
		assert.True(t, strings.HasPrefix(r.answer, "Error"), "answer %q", r.answer)
		if contains != "" {
			assert.Contains(t, r.answer, contains)
		}
	}
	wantErrorOrClose := func(t *testing.T, r hostileResult) {
		t.Helper()
		if !r.closed {
			assert.True(t, strings.HasPrefix(r.answer, "Error"), "answer %q", r.answer)
		}
	}
	auth := func(s string) []byte { return []byte("AUTH " + s + "\n") }
	bigLine := bytes.Repeat([]byte("A"), 10<<20)

	cases := []struct {
		name  string
		run   func() hostileResult
		check func(*testing.T, hostileResult)
	}{
		{"length 2^63", func() hostileResult { return send(e.plain, false, append([]byte("UTF-8\n"), le64(1<<63)...), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"length 2^64-1", func() hostileResult {
			return send(e.plain, false, append([]byte("UTF-8\n"), le64(^uint64(0))...), false, 0)
		},
			func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"length beyond the maximum", func() hostileResult {
			return send(e.plain, false, append([]byte("UTF-8\n"), le64(10<<20)...), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"10 MB encoding line", func() hostileResult { return send(e.plain, false, bigLine, false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"empty encoding line", func() hostileResult { return send(e.plain, false, frame("", []byte("1")), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"unknown encoding", func() hostileResult { return send(e.plain, false, frame("EBCDIC-XYZ", []byte("1")), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "encoding") }},
		{"missing encoding line", func() hostileResult { return send(e.plain, false, append(le64(1), '1'), true, 0) },
			func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"invalid UTF-8", func() hostileResult { return send(e.plain, false, frame("UTF-8", []byte("cat('\xff\xfe')")), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "UTF-8") }},
		{"8-bit bytes declared ASCII", func() hostileResult { return send(e.plain, false, frame("ASCII", []byte("cat('\xe9')")), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"NUL in code", func() hostileResult { return send(e.plain, false, frame("UTF-8", []byte("1\x00+1")), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"short read then half-close", func() hostileResult {
			return send(e.plain, false, append(append([]byte("UTF-8\n"), le64(100)...), "1+1"...), true, 0)
		}, func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"short read then stall", func() hostileResult {
			return send(e.plain, false, append(append([]byte("UTF-8\n"), le64(100)...), "1+1"...), false, 0)
		}, func(t *testing.T, r hostileResult) {
			wantErrorOrClose(t, r)
			assert.Less(t, r.took, readTimeout+5*time.Second)
		}},
		{"one byte per second", func() hostileResult { return send(e.plain, false, frame("UTF-8", []byte("1+1")), false, time.Second) },
			func(t *testing.T, r hostileResult) {
				wantErrorOrClose(t, r)
				assert.Less(t, r.took, readTimeout+5*time.Second)
			}},
		{"nothing at all", func() hostileResult { return send(e.plain, false, nil, false, 0) },
			func(t *testing.T, r hostileResult) {
				wantErrorOrClose(t, r)
				assert.Less(t, r.took, readTimeout+5*time.Second)
			}},
		{"connect and close", func() hostileResult { return send(e.plain, false, nil, true, 0) },
			func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"half-close after the encoding line", func() hostileResult { return send(e.plain, false, []byte("UTF-8\n"), true, 0) },
			func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"length field cut short", func() hostileResult { return send(e.plain, false, []byte("UTF-8\n\x05\x00\x00"), true, 0) },
			func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"TLS garbage to the TLS port", func() hostileResult {
			return send(e.tlsAddr, false, bytes.Repeat([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, 100), false, 0)
		}, func(t *testing.T, r hostileResult) { assert.True(t, r.closed) }},
		{"plaintext request to the TLS port", func() hostileResult { return send(e.tlsAddr, false, frame("UTF-8", []byte("1")), false, 0) },
			func(t *testing.T, r hostileResult) { assert.True(t, r.closed) }},
		{"TLS ClientHello to the plaintext port", func() hostileResult {
			c, err := tls.Dial("tcp", e.plain, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // hostile client
			if err == nil {
				c.Close()
				return hostileResult{answer: "handshake succeeded"}
			}
			return hostileResult{closed: true}
		}, func(t *testing.T, r hostileResult) { assert.True(t, r.closed, r.answer) }},
		{"HTTP request", func() hostileResult {
			return send(e.plain, false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, 0)
		},
			func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"AUTH with bad base64", func() hostileResult {
			return send(e.tlsAddr, true, append(auth("%%%notbase64"), frame("UTF-8", []byte("1"))...), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"AUTH without a colon", func() hostileResult {
			return send(e.tlsAddr, true, append(auth(base64.StdEncoding.EncodeToString([]byte("alice"))), frame("UTF-8", []byte("1"))...), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
		{"10 MB AUTH line", func() hostileResult { return send(e.tlsAddr, true, append([]byte("AUTH "), bigLine...), false, 0) },
			func(t *testing.T, r hostileResult) { wantErrorOrClose(t, r) }},
		{"2,000-byte AUTH line", func() hostileResult {
			return send(e.plain, false, append(auth(strings.Repeat("A", 2000)), frame("UTF-8", []byte("1"))...), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "AUTH line longer than") }},
		{"2,000-byte AUTH line in two parts", func() hostileResult {
			// The rest of the line arrives after the server has answered:
			// the answer must still reach the client (no reset first).
			line := auth(strings.Repeat("A", 2000))
			c, err := net.Dial("tcp", e.plain)
			if err != nil {
				return hostileResult{closed: true}
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(readTimeout + 10*time.Second))
			_, _ = c.Write(line[:1200])
			time.Sleep(300 * time.Millisecond)
			_, _ = c.Write(append(line[1200:], frame("UTF-8", []byte("1"))...))
			time.Sleep(300 * time.Millisecond)
			ans, err := framed.ReadResponse(c, 1<<20)
			if err != nil {
				return hostileResult{closed: true}
			}
			return hostileResult{answer: string(ans)}
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "AUTH line longer than") }},
		{"2,000-byte AUTH line, then 8 MiB of code", func() hostileResult {
			// A client that writes its whole request before reading: the
			// server drains what follows the refused line, so the write
			// does not fail on a reset and the error text is read.
			c, err := net.Dial("tcp", e.plain)
			if err != nil {
				return hostileResult{closed: true}
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(readTimeout + 10*time.Second))
			req := append(auth(strings.Repeat("A", 2000)), frame("UTF-8", bytes.Repeat([]byte("#"), 8<<20))...)
			if _, err := c.Write(req); err != nil {
				return hostileResult{answer: "write failed: " + err.Error()}
			}
			ans, err := framed.ReadResponse(c, 1<<20)
			if err != nil {
				return hostileResult{closed: true}
			}
			return hostileResult{answer: string(ans)}
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "AUTH line longer than") }},
		{"2,000-byte AUTH line over TLS", func() hostileResult {
			return send(e.tlsAddr, true, append(auth(strings.Repeat("A", 2000)), frame("UTF-8", []byte("1"))...), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "AUTH line longer than") }},
		{"wrong password", func() hostileResult {
			cred := base64.StdEncoding.EncodeToString([]byte("alice:nope"))
			return send(e.tlsAddr, true, append(auth(cred), frame("UTF-8", []byte("1"))...), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "authentication failed") }},
		// Issue 14: floods meet the limits, which say which limit was hit.
		{"password guessing from one address", func() hostileResult {
			cred := base64.StdEncoding.EncodeToString([]byte("mallory:guess"))
			return repeat("127.0.0.77", e.tlsAddr, true, append(auth(cred), frame("UTF-8", []byte("1"))...), 3)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "(limit per address)") }},
		{"guessing one user from many addresses", func() hostileResult {
			var r hostileResult
			cred := base64.StdEncoding.EncodeToString([]byte("carol:guess"))
			for i := range 7 {
				r = repeat(fmt.Sprintf("127.0.0.%d", 80+i), e.tlsAddr, true, append(auth(cred), frame("UTF-8", []byte("1"))...), 1)
			}
			return r
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "(limit per user)") }},
		{"denied code flood from an anonymous address", func() hostileResult {
			return repeat("127.0.0.78", e.plain, false, frame("UTF-8", []byte("system('id')")), 40)
		}, func(t *testing.T, r hostileResult) {
			wantError(t, r, "rate limit of denied requests reached for the anonymous user guest from 127.0.0.78")
		}},
		{"syntax error", func() hostileResult { return send(e.plain, false, frame("UTF-8", []byte("1 +* 2")), false, 0) },
			func(t *testing.T, r hostileResult) { wantError(t, r, "1:4") }},
		{"deeply nested code", func() hostileResult {
			return send(e.plain, false, frame("UTF-8", []byte(strings.Repeat("(", 100000)+"1"+strings.Repeat(")", 100000))), false, 0)
		}, func(t *testing.T, r hostileResult) { wantError(t, r, "") }},
	}
	var mu sync.Mutex
	results := map[string]hostileResult{}
	var wg sync.WaitGroup
	for _, tc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := tc.run()
			mu.Lock()
			results[tc.name] = r
			mu.Unlock()
		}()
	}
	// A crowd of stalled connections at the same time.
	var stalled []net.Conn
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", e.plain); err == nil {
			stalled = append(stalled, c)
		}
	}
	wg.Wait()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, results[tc.name]) })
	}
	for _, c := range stalled {
		_ = c.SetReadDeadline(time.Now().Add(readTimeout + 5*time.Second))
		_, err := c.Read(make([]byte, 1))
		assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "a stalled connection was not closed by the server")
		c.Close()
	}
	close(stop)
	goodWG.Wait()
	assert.Zero(t, goodBad.Load(), "the well-behaved client was harmed")
	assert.Greater(t, goodOK.Load(), int32(3), "the well-behaved client was not served")
	assert.GreaterOrEqual(t, len(cases), 25)
}
