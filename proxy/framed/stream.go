package framed

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// The streaming answer (requests that begin with the STREAM line). Instead
// of one length-prefixed answer the server sends frames while the code
// runs, each
//
//	<kind: 1 byte> <N: 8 bytes, unsigned little-endian> <N bytes of text>
//
// in the client's encoding. Kind 'o' is console output as R produced it;
// kind 'r' is the rest of the answer (the error text of a failed
// evaluation, the output-limit note, or nothing) and is the last frame:
// the server closes after it. The frames' texts joined are the answer,
// output first: an error comes after the output it followed, where the
// one-piece answer puts it first.

// Frame kinds of the streaming answer.
const (
	FrameOutput byte = 'o'
	FrameResult byte = 'r'
)

// WriteStreamFrame writes one frame of a streaming answer.
func WriteStreamFrame(w io.Writer, kind byte, enc Encoding, text string) error {
	body := enc.Encode(text)
	b := make([]byte, 0, 9+len(body))
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(body)))
	b = append(b, body...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("framed protocol: writing a stream frame: %w", err)
	}
	return nil
}

// ReadStreamFrame reads one frame of a streaming answer (client side). A
// length above maxLen (DefaultMaxResponse when <= 0) is refused before
// anything is allocated, and so is an unknown kind.
func ReadStreamFrame(r io.Reader, maxLen int64) (kind byte, text []byte, err error) {
	if maxLen <= 0 {
		maxLen = DefaultMaxResponse
	}
	var hdr [9]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("framed protocol: reading a stream frame header (%d of 9 bytes): %w", n, err)
	}
	kind = hdr[0]
	if kind != FrameOutput && kind != FrameResult {
		return 0, nil, fmt.Errorf("framed protocol: unknown stream frame kind %q", kind)
	}
	m := binary.LittleEndian.Uint64(hdr[1:])
	if m > uint64(maxLen) {
		return 0, nil, fmt.Errorf("framed protocol: stream frame length %d exceeds the limit of %d bytes", m, maxLen)
	}
	body, err := readN(r, int64(m))
	if err != nil {
		return 0, nil, fmt.Errorf("framed protocol: reading a stream frame (%d of %d bytes): %w", len(body), m, err)
	}
	return kind, body, nil
}

// utf8Carry splits b, UTF-8 output of a running evaluation, before a
// character that is cut at its end: the head can be sent, the tail waits
// for the rest of its bytes.
func utf8Carry(b []byte) (head, tail []byte) {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i], b[i:]
			}
			break
		}
	}
	return b, nil
}
