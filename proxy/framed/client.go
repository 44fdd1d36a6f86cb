package framed

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// WriteRequest writes one request (client side): the AUTH line when auth is
// non-nil, the encoding line, the length and the code. code must already be
// in that encoding (see Encoding.EncodeStrict). Everything goes out in one
// write so that a server never sees a request split by client-side delays.
func WriteRequest(w io.Writer, auth *Credentials, encoding string, code []byte) error {
	return writeRequest(w, false, auth, encoding, code)
}

// WriteStreamRequest is WriteRequest with the opt-in STREAM line first: the
// server answers with frames as the code runs (ReadStreamFrame).
func WriteStreamRequest(w io.Writer, auth *Credentials, encoding string, code []byte) error {
	return writeRequest(w, true, auth, encoding, code)
}

func writeRequest(w io.Writer, stream bool, auth *Credentials, encoding string, code []byte) error {
	if encoding == "" || len(encoding) > MaxEncodingName || strings.ContainsAny(encoding, "\r\n") {
		return fmt.Errorf("framed protocol: invalid encoding name %q", encoding)
	}
	var buf bytes.Buffer
	buf.Grow(len(encoding) + len(code) + 64)
	if stream {
		buf.WriteString(streamLine + "\n")
	}
	if auth != nil {
		if auth.User == "" || strings.ContainsAny(auth.User, ":\r\n") {
			return errors.New("framed protocol: user name must be non-empty and contain no ':' or line breaks")
		}
		plain := make([]byte, 0, len(auth.User)+1+len(auth.Password))
		plain = append(append(append(plain, auth.User...), ':'), auth.Password...)
		enc := make([]byte, base64.StdEncoding.EncodedLen(len(plain)))
		base64.StdEncoding.Encode(enc, plain)
		buf.WriteString(authPrefix)
		buf.Write(enc)
		buf.WriteByte('\n')
		clear(plain)
		clear(enc)
	}
	buf.WriteString(encoding)
	buf.WriteByte('\n')
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(len(code)))
	buf.Write(hdr[:])
	buf.Write(code)
	_, err := w.Write(buf.Bytes())
	clear(buf.Bytes())
	if err != nil {
		return fmt.Errorf("framed protocol: sending request: %w", err)
	}
	return nil
}
