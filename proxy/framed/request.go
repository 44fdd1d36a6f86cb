package framed

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Default limits.
const (
	DefaultMaxCodeBytes    = 1 << 20 // 1 MiB
	DefaultMaxEncodingLine = MaxEncodingName
	// DefaultMaxAuthLine bounds the AUTH line: base64 of a 256-byte user name
	// and a 512-byte password, with room to spare.
	DefaultMaxAuthLine = 1100
)

// authPrefix starts the optional first line. No encoding name contains a
// space, so the line cannot be mistaken for one.
const authPrefix = "AUTH "

// Limits bound what ReadRequest accepts. Zero or negative fields take the
// defaults. Line limits count the line's bytes without its '\n'.
type Limits struct {
	MaxCodeBytes    int64 // default 1 MiB
	MaxEncodingLine int   // default 64
	MaxAuthLine     int   // default DefaultMaxAuthLine
}

func (l Limits) withDefaults() Limits {
	if l.MaxCodeBytes <= 0 {
		l.MaxCodeBytes = DefaultMaxCodeBytes
	}
	if l.MaxEncodingLine <= 0 {
		l.MaxEncodingLine = DefaultMaxEncodingLine
	}
	if l.MaxAuthLine <= 0 {
		l.MaxAuthLine = DefaultMaxAuthLine
	}
	return l
}

// Credentials are the user name and password of an AUTH line. The caller
// should clear Password once it has been checked.
type Credentials struct {
	User     string
	Password []byte
}

// streamLine is the opt-in first line of a streaming request: the answer
// comes as frames while the code runs (see WriteStreamFrame). No encoding
// name is "STREAM" and it has no space (unlike an AUTH line), so no request
// of an old client can be mistaken for it.
const streamLine = "STREAM"

// Request is one decoded request.
type Request struct {
	// Stream is set when the request began with the STREAM line.
	Stream   bool
	Auth     *Credentials // nil when the client sent no AUTH line
	Encoding Encoding
	Code     []byte // converted to UTF-8; never contains NUL
	// Files is set for a workspace files request (files.go) instead of
	// code; a PUT's data is left unread in the reader.
	Files *FilesRequest
}

// ReadRequest reads and checks one request. The caller sets read deadlines on
// the connection (the whole request should arrive within one). Malformed
// input returns a *ProtocolError (its Answer is what to send back); a peer
// that closes before sending anything gets a *ProtocolError wrapping io.EOF,
// a peer that closes mid-request one wrapping io.ErrUnexpectedEOF; deadline
// and other I/O errors are returned wrapped, as they are.
func ReadRequest(r io.Reader, lim Limits) (*Request, error) {
	lim = lim.withDefaults()
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 512)
	}
	req := &Request{}

	line, err := readFirstLine(br, lim)
	if err != nil {
		return nil, err
	}
	if string(line) == streamLine {
		req.Stream = true
		if line, err = readFirstLine(br, lim); err != nil {
			return nil, eofOr(unwrapEOF(err), "after the STREAM line")
		}
		if string(line) == streamLine {
			return nil, protoErr(nil, "only one STREAM line is allowed")
		}
	}
	if bytes.HasPrefix(line, []byte(authPrefix)) {
		creds, err := parseAuth(line[len(authPrefix):])
		clear(line)
		if err != nil {
			return nil, err
		}
		req.Auth = creds
		if line, err = readLine(br, lim.MaxEncodingLine, "encoding line"); err != nil {
			return nil, err
		}
		if bytes.HasPrefix(line, []byte(authPrefix)) {
			return nil, protoErr(nil, "only one AUTH line is allowed")
		}
	}
	if bytes.HasPrefix(line, []byte(filesPrefix)) {
		req.Encoding = UTF8
		req.Files, err = readFilesRequest(br, line)
		if err != nil {
			return nil, err
		}
		return req, nil
	}
	enc, err := LookupEncoding(string(line))
	if err != nil {
		return nil, err
	}
	req.Encoding = enc

	var hdr [8]byte
	if n, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, eofOr(err, fmt.Sprintf("after %d of 8 length bytes", n))
	}
	n := binary.LittleEndian.Uint64(hdr[:])
	// Compare as unsigned: a length of 2^63 or more must not turn negative.
	if n > uint64(lim.MaxCodeBytes) {
		return nil, protoErr(nil, "code length %d exceeds the limit of %d bytes", n, lim.MaxCodeBytes)
	}
	raw, err := readN(br, int64(n))
	if err != nil {
		return nil, eofOr(err, fmt.Sprintf("after %d of %d code bytes", len(raw), n))
	}
	code, err := enc.Decode(raw)
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexByte(code, 0); i >= 0 {
		return nil, protoErr(nil, "code contains a NUL byte at offset %d; R cannot evaluate it", i)
	}
	req.Code = code
	return req, nil
}

// unwrapEOF turns readFirstLine's "closed before the encoding line" (an
// io.EOF protocol error) back into io.EOF, so that a STREAM line followed
// by nothing reads as a connection closed mid-request.
func unwrapEOF(err error) error {
	var pe *ProtocolError
	if errors.As(err, &pe) && errors.Is(err, io.EOF) {
		return io.EOF
	}
	return err
}

// readN reads exactly n bytes, growing the buffer only as data arrives so a
// peer that announces a large (allowed) length and then stalls costs nothing.
func readN(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(n, 64<<10)))
	got, err := io.CopyN(&buf, r, n)
	if err == nil && got != n {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

// eofOr turns an early end of stream into a ProtocolError wrapping
// io.ErrUnexpectedEOF and passes every other error (deadlines, resets)
// through with context. where says how far the request got.
func eofOr(err error, where string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return protoErr(io.ErrUnexpectedEOF, "connection closed %s", where)
	}
	return fmt.Errorf("framed protocol: reading request %s: %w", where, err)
}

// readFirstLine reads the AUTH or encoding line. Its bound depends on what
// it turns out to be: an encoding line is refused after MaxEncodingLine
// bytes even while an AUTH line could still be longer.
func readFirstLine(br *bufio.Reader, lim Limits) ([]byte, error) {
	line := make([]byte, 0, 64)
	limit := max(lim.MaxEncodingLine, len(authPrefix))
	for {
		c, err := br.ReadByte()
		if err != nil {
			if len(line) == 0 && errors.Is(err, io.EOF) {
				return nil, protoErr(io.EOF, "connection closed before the encoding line")
			}
			return nil, eofOr(err, "inside the first line")
		}
		if c == '\n' {
			return trimCR(line), nil
		}
		line = append(line, c)
		if len(line) == len(authPrefix) && string(line) == authPrefix {
			limit = lim.MaxAuthLine
		}
		if len(line) > limit {
			if limit == lim.MaxAuthLine && bytes.HasPrefix(line, []byte(authPrefix)) {
				clear(line)
				return nil, protoErr(nil, "AUTH line longer than %d bytes", lim.MaxAuthLine)
			}
			return nil, protoErr(nil, "encoding line longer than %d bytes (expected an encoding name such as UTF-8)", lim.MaxEncodingLine)
		}
	}
}

// readLine reads one '\n'-terminated line of at most limit bytes.
func readLine(br *bufio.Reader, limit int, what string) ([]byte, error) {
	line := make([]byte, 0, 64)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, eofOr(err, "inside the "+what)
		}
		if c == '\n' {
			return trimCR(line), nil
		}
		if len(line) == limit {
			return nil, protoErr(nil, "%s longer than %d bytes", what, limit)
		}
		line = append(line, c)
	}
}

// trimCR tolerates CRLF line ends from hand-written clients (telnet, nc -C).
func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// parseAuth decodes base64(user:password). Error messages never include the
// line, which holds a secret.
func parseAuth(b64 []byte) (*Credentials, error) {
	b64 = bytes.TrimRight(b64, "=")
	dec := make([]byte, base64.RawStdEncoding.DecodedLen(len(b64)))
	n, err := base64.RawStdEncoding.Decode(dec, b64)
	if err != nil {
		clear(dec)
		return nil, protoErr(nil, "malformed AUTH line: the credentials are not valid base64")
	}
	dec = dec[:n]
	colon := bytes.IndexByte(dec, ':')
	if colon < 0 {
		clear(dec)
		return nil, protoErr(nil, "malformed AUTH line: expected base64 of user:password")
	}
	user, pass := dec[:colon], dec[colon+1:]
	if err := checkUserName(user); err != nil {
		clear(dec)
		return nil, err
	}
	creds := &Credentials{User: string(user), Password: bytes.Clone(pass)}
	clear(dec)
	return creds, nil
}

// checkUserName refuses names that could not be any user and would only
// pollute logs: empty, not UTF-8, or containing control characters. Which
// names exist is the authentication layer's business.
func checkUserName(u []byte) error {
	if len(u) == 0 {
		return protoErr(nil, "malformed AUTH line: empty user name")
	}
	if !utf8.Valid(u) {
		return protoErr(nil, "malformed AUTH line: user name is not valid UTF-8")
	}
	for _, r := range string(u) {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return protoErr(nil, "malformed AUTH line: user name contains a control character")
		}
	}
	return nil
}
