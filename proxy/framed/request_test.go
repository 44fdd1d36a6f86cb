package framed_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadRequestValid(t *testing.T) {
	tests := []struct {
		name     string
		input    []byte
		wantEnc  string
		wantCode string
		wantUser string
		wantPass string
	}{
		{"UTF-8", req("UTF-8", []byte("R.version")), "UTF-8", "R.version", "", ""},
		{"utf-8 lower case", req("utf-8", []byte("1+1")), "UTF-8", "1+1", "", ""},
		{"utf8 alias", req("utf8", []byte("1+1")), "UTF-8", "1+1", "", ""},
		{"ASCII", req("ASCII", []byte("x <- 1")), "US-ASCII", "x <- 1", "", ""},
		{"latin1 decodes to UTF-8", req("latin1", []byte("cat('caf\xe9')")), "ISO-8859-1", "cat('café')", "", ""},
		{"ISO-8859-1", req("ISO-8859-1", []byte("'\xfc'")), "ISO-8859-1", "'ü'", "", ""},
		{"UTF-8 multibyte", req("UTF-8", []byte("'中文 😀'")), "UTF-8", "'中文 😀'", "", ""},
		{"windows-1252 euro", req("windows-1252", []byte("'\x80'")), "windows-1252", "'€'", "", ""},
		{"Shift_JIS", req("Shift_JIS", []byte("'\x93\xfa\x96\x7b'")), "Shift_JIS", "'日本'", "", ""},
		{"KOI8-R", req("KOI8-R", []byte("'\xf0'")), "KOI8-R", "'П'", "", ""},
		{"empty code", req("UTF-8", nil), "UTF-8", "", "", ""},
		{"CRLF encoding line", req("UTF-8\r", []byte("1")), "UTF-8", "1", "", ""},
		{"multi-line code", req("UTF-8", []byte("x <- 1\ny <- 2\nx + y\n")), "UTF-8", "x <- 1\ny <- 2\nx + y\n", "", ""},
		{"AUTH", frame([]string{authLine("alice:s3cret"), "UTF-8"}, 3, []byte("1+1")), "UTF-8", "1+1", "alice", "s3cret"},
		{"AUTH password with colon", frame([]string{authLine("bob:a:b:c"), "latin1"}, 1, []byte("1")), "ISO-8859-1", "1", "bob", "a:b:c"},
		{"AUTH empty password", frame([]string{authLine("carol:"), "UTF-8"}, 1, []byte("1")), "UTF-8", "1", "carol", ""},
		{"AUTH unpadded base64", frame([]string{"AUTH YTpi", "UTF-8"}, 1, []byte("1")), "UTF-8", "1", "a", "b"},
		{"AUTH CRLF", frame([]string{authLine("d:e") + "\r", "UTF-8"}, 1, []byte("1")), "UTF-8", "1", "d", "e"},
		{"code at the limit", req("UTF-8", bytes.Repeat([]byte("1"), 4096)), "UTF-8", strings.Repeat("1", 4096), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := framed.ReadRequest(bytes.NewReader(tc.input), framed.Limits{MaxCodeBytes: 4096})
			require.NoError(t, err)
			assert.Equal(t, tc.wantEnc, r.Encoding.Name())
			assert.Equal(t, tc.wantCode, string(r.Code))
			if tc.wantUser == "" {
				assert.Nil(t, r.Auth)
				return
			}
			require.NotNil(t, r.Auth)
			assert.Equal(t, tc.wantUser, r.Auth.User)
			assert.Equal(t, tc.wantPass, string(r.Auth.Password))
		})
	}
}

// hostile is the table of malformed requests; their answers are pinned in
// testdata/request_errors.golden because clients see that text.
var hostile = []struct {
	name   string
	input  []byte
	wantIs error // optional errors.Is target
}{
	{"nothing at all", nil, io.EOF},
	{"empty encoding line", req("", []byte("1")), nil},
	{"unknown encoding", req("KLINGON-8", []byte("1")), nil},
	{"encoding with space", req("UTF 8", []byte("1")), nil},
	{"encoding with control byte", req("UTF-8\x01", []byte("1")), nil},
	{"encoding not ASCII", req("UTF-\xc3\xa98", []byte("1")), nil},
	{"UTF-16 not ASCII-compatible", req("UTF-16", []byte("1")), nil},
	{"encoding line 65 bytes", req(strings.Repeat("A", 65), []byte("1")), nil},
	{"encoding line not terminated", []byte("UTF-8"), io.ErrUnexpectedEOF},
	{"length truncated", append([]byte("UTF-8\n"), 1, 0, 0), io.ErrUnexpectedEOF},
	{"length 2^63", frame([]string{"UTF-8"}, 1<<63, nil), nil},
	{"length 2^64-1", frame([]string{"UTF-8"}, ^uint64(0), nil), nil},
	{"length one over the limit", frame([]string{"UTF-8"}, 4097, nil), nil},
	{"code truncated", frame([]string{"UTF-8"}, 10, []byte("1+1")), io.ErrUnexpectedEOF},
	{"invalid UTF-8", req("UTF-8", []byte("cat('caf\xe9')")), nil},
	{"overlong UTF-8", req("UTF-8", []byte("'\xc0\xaf'")), nil},
	{"UTF-16 surrogate in UTF-8", req("UTF-8", []byte("'\xed\xa0\x80'")), nil},
	{"8-bit byte in ASCII", req("ASCII", []byte("'\xe9'")), nil},
	{"invalid Shift_JIS", req("Shift_JIS", []byte("'\x81\xff'")), nil},
	{"NUL in code", req("UTF-8", []byte("1\x00+1")), nil},
	{"NUL in latin1 code", req("latin1", []byte("\x00")), nil},
	{"AUTH not base64", frame([]string{"AUTH !!!!", "UTF-8"}, 1, []byte("1")), nil},
	{"AUTH without colon", frame([]string{authLine("alice"), "UTF-8"}, 1, []byte("1")), nil},
	{"AUTH empty user", frame([]string{authLine(":pw"), "UTF-8"}, 1, []byte("1")), nil},
	{"AUTH user with control char", frame([]string{authLine("al\x1bice:pw"), "UTF-8"}, 1, []byte("1")), nil},
	{"AUTH user not UTF-8", frame([]string{authLine("al\xffice:pw"), "UTF-8"}, 1, []byte("1")), nil},
	{"AUTH line too long", frame([]string{"AUTH " + strings.Repeat("QUFB", 300), "UTF-8"}, 1, []byte("1")), nil},
	{"AUTH then nothing", []byte(authLine("a:b") + "\n"), io.ErrUnexpectedEOF},
	{"two AUTH lines", frame([]string{authLine("a:b"), authLine("a:b"), "UTF-8"}, 1, []byte("1")), nil},
	{"TLS ClientHello on a plaintext port", []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\x00", 80)), nil},
	{"HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), nil},
}

func TestReadRequestHostile(t *testing.T) {
	var answers strings.Builder
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			r, err := framed.ReadRequest(bytes.NewReader(tc.input), framed.Limits{MaxCodeBytes: 4096})
			require.Error(t, err)
			assert.Nil(t, r)
			var pe *framed.ProtocolError
			require.ErrorAs(t, err, &pe, "malformed input must be a ProtocolError, got %v", err)
			assert.True(t, strings.HasPrefix(pe.Answer(), "Error: "))
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			}
			assert.NotContains(t, pe.Msg, "s3cret")
			fmt.Fprintf(&answers, "%s\t%q\n", tc.name, pe.Answer())
		})
	}
	golden(t, "request_errors.golden", []byte(answers.String()))
}

// A huge line must be refused after a bounded number of bytes, not read to
// its end (which here never comes).
func TestReadRequestHugeLinesAreBounded(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
	}{
		{"encoding line", ""},
		{"AUTH line", "AUTH "},
		{"encoding line after AUTH", authLine("a:b") + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cr := &countingReader{r: io.MultiReader(strings.NewReader(tc.prefix), endless('A'))}
			_, err := framed.ReadRequest(cr, framed.Limits{})
			var pe *framed.ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, pe.Msg, "longer than")
			// The reader buffers 512 bytes; the AUTH limit is ~1 KiB.
			assert.Less(t, cr.n, int64(4096), "read %d bytes of an endless line", cr.n)
		})
	}
}

// The length is checked before the code is read or allocated: an allowed
// length that never arrives must not cost its size in memory up front.
func TestReadRequestLengthCheckedBeforeRead(t *testing.T) {
	cr := &countingReader{r: io.MultiReader(bytes.NewReader(frame([]string{"UTF-8"}, 1<<63, nil)), endless('1'))}
	_, err := framed.ReadRequest(cr, framed.Limits{})
	var pe *framed.ProtocolError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Msg, "exceeds the limit")
	assert.LessOrEqual(t, cr.n, int64(512))
}

// A slow client is the caller's deadline's business; ReadRequest must return
// the deadline error (not a ProtocolError, not a hang).
func TestReadRequestDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		for _, b := range []byte("UTF-8\n") { // one byte per 100 ms
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		<-done
	}()
	c, err := ln.Accept()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(250*time.Millisecond)))
	_, err = framed.ReadRequest(c, framed.Limits{})
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var pe *framed.ProtocolError
	assert.False(t, errors.As(err, &pe), "a timeout is not a protocol error")
}

func TestWriteRequestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		auth *framed.Credentials
		enc  string
		code string
	}{
		{"plain", nil, "UTF-8", "R.version$language"},
		{"auth", &framed.Credentials{User: "alice", Password: []byte("pä:ss")}, "utf-8", "1+1"},
		{"latin1", nil, "latin1", "cat('é')"},
		{"empty", nil, "ASCII", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := framed.LookupEncoding(tc.enc)
			require.NoError(t, err)
			raw, err := enc.EncodeStrict(tc.code)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, framed.WriteRequest(&buf, tc.auth, tc.enc, raw))
			r, err := framed.ReadRequest(&buf, framed.Limits{})
			require.NoError(t, err)
			assert.Equal(t, tc.code, string(r.Code))
			assert.Equal(t, tc.enc, r.Encoding.Declared())
			if tc.auth == nil {
				assert.Nil(t, r.Auth)
			} else {
				require.NotNil(t, r.Auth)
				assert.Equal(t, *tc.auth, *r.Auth)
			}
		})
	}
}

// The exact bytes of a request are the compatibility contract with the
// original client; pin them.
func TestWriteRequestBytes(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, framed.WriteRequest(&buf, nil, "UTF-8", []byte("1+1")))
	require.NoError(t, framed.WriteRequest(&buf, &framed.Credentials{User: "alice", Password: []byte("pw")}, "latin1", []byte("'\xe9'")))
	golden(t, "requests.bin", buf.Bytes())
}

func TestWriteRequestRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		auth *framed.Credentials
		enc  string
	}{
		{"empty encoding", nil, ""},
		{"newline in encoding", nil, "UTF-8\nx"},
		{"long encoding", nil, strings.Repeat("x", 65)},
		{"colon in user", &framed.Credentials{User: "a:b"}, "UTF-8"},
		{"empty user", &framed.Credentials{}, "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			assert.Error(t, framed.WriteRequest(&buf, tc.auth, tc.enc, []byte("1")))
			assert.Zero(t, buf.Len(), "nothing may be sent on error")
		})
	}
}
