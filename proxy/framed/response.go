package framed

import (
	"encoding/binary"
	"fmt"
	"io"
)

// smallAnswer is the size below which header and body go out in one write,
// so a short answer is one TCP segment / TLS record instead of two.
const smallAnswer = 64 << 10

// WriteResponse writes one answer: its length as 8 bytes unsigned
// little-endian, then text converted to enc (characters enc cannot represent
// become <U+XXXX>). The caller closes the connection afterwards and owns
// write deadlines.
func WriteResponse(w io.Writer, enc Encoding, text string) error {
	body := enc.Encode(text)
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(len(body)))
	if len(body) < smallAnswer {
		if _, err := w.Write(append(hdr[:], body...)); err != nil {
			return fmt.Errorf("framed protocol: writing answer: %w", err)
		}
		return nil
	}
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("framed protocol: writing answer length: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("framed protocol: writing %d-byte answer: %w", len(body), err)
	}
	return nil
}

// DefaultMaxResponse is what ReadResponse accepts when maxLen <= 0.
const DefaultMaxResponse = 256 << 20

// ReadResponse reads one answer (client side) and returns its bytes, still
// in the encoding the request declared. A length above maxLen is refused
// before anything is allocated; the buffer grows only as bytes arrive.
func ReadResponse(r io.Reader, maxLen int64) ([]byte, error) {
	if maxLen <= 0 {
		maxLen = DefaultMaxResponse
	}
	var hdr [8]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, fmt.Errorf("framed protocol: server closed the connection without an answer: %w", io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("framed protocol: reading answer length (%d of 8 bytes): %w", n, err)
	}
	m := binary.LittleEndian.Uint64(hdr[:])
	if m > uint64(maxLen) {
		return nil, fmt.Errorf("framed protocol: answer length %d exceeds the limit of %d bytes", m, maxLen)
	}
	body, err := readN(r, int64(m))
	if err != nil {
		return nil, fmt.Errorf("framed protocol: reading answer (%d of %d bytes): %w", len(body), m, err)
	}
	return body, nil
}
