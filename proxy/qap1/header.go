package qap1

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrProtocol is wrapped by every error about malformed QAP1 input.
var ErrProtocol = errors.New("QAP1 protocol error")

// ErrTooLarge is wrapped when a message announces more payload than the
// caller accepts. The payload has not been read: the connection cannot be
// resynchronised and should be answered and closed.
var ErrTooLarge = errors.New("QAP1 message too large")

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}

// HeaderSize is the size of a message header.
const HeaderSize = 16

// Header is a message header. Len is the payload length: the low word
// and, since protocol 0103, the high word ("res") of a 64-bit length.
type Header struct {
	Cmd   int32
	Len   int64
	MsgID int32
}

// ParseHeader decodes a 16-byte header.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, protoErr("truncated header (%d bytes)", len(b))
	}
	l := uint64(binary.LittleEndian.Uint32(b[4:])) | uint64(binary.LittleEndian.Uint32(b[12:]))<<32
	if l > math.MaxInt64 {
		return Header{}, protoErr("message length %d is out of range", l)
	}
	return Header{
		Cmd:   int32(binary.LittleEndian.Uint32(b[0:])),
		Len:   int64(l),
		MsgID: int32(binary.LittleEndian.Uint32(b[8:])),
	}, nil
}

// AppendHeader appends the 16-byte encoding of h to b.
func AppendHeader(b []byte, h Header) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(h.Cmd))
	b = binary.LittleEndian.AppendUint32(b, uint32(uint64(h.Len)))
	b = binary.LittleEndian.AppendUint32(b, uint32(h.MsgID))
	return binary.LittleEndian.AppendUint32(b, uint32(uint64(h.Len)>>32))
}

// ReadHeader reads one header. A connection closed cleanly before the
// first byte returns io.EOF; a partial header is a protocol error.
func ReadHeader(r io.Reader) (Header, error) {
	var b [HeaderSize]byte
	n, err := io.ReadFull(r, b[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return Header{}, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Header{}, fmt.Errorf("%w: truncated header (%d of 16 bytes)", ErrProtocol, n)
	case err != nil:
		return Header{}, err
	}
	return ParseHeader(b[:])
}

// readChunk bounds each read of a payload: memory grows with what
// actually arrives, not with what the header announced.
const readChunk = 1 << 20

// ReadPayload reads a message's payload of h.Len bytes, refusing (with
// ErrTooLarge, before reading any of it) more than max bytes.
func ReadPayload(r io.Reader, h Header, max int64) ([]byte, error) {
	if h.Len > max {
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d accepted", ErrTooLarge, h.Len, max)
	}
	buf := make([]byte, 0, min(h.Len, readChunk))
	for int64(len(buf)) < h.Len {
		n := int(min(h.Len-int64(len(buf)), readChunk))
		if cap(buf)-len(buf) < n {
			nb := make([]byte, len(buf), min(h.Len, int64(2*cap(buf))+int64(n)))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+n])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: payload truncated at %d of %d bytes", ErrProtocol, len(buf), h.Len)
			}
			return nil, err
		}
	}
	return buf, nil
}

// Message builds a complete message: header and payload parts.
func Message(cmd, msgID int32, parts ...[]byte) []byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, HeaderSize+n)
	b = AppendHeader(b, Header{Cmd: cmd, Len: int64(n), MsgID: msgID})
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
