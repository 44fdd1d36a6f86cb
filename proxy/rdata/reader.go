package rdata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrFormat is wrapped by every decoding error: the input is not an R
// serialization rwarden can read.
var ErrFormat = errors.New("invalid R serialization")

// formatError is a decoding error with the offset where it was found.
type formatError struct {
	off int
	msg string
}

func (e *formatError) Error() string {
	return fmt.Sprintf("%s at byte %d: %s", ErrFormat, e.off, e.msg)
}
func (e *formatError) Unwrap() error { return ErrFormat }

// reader is a bounds-checked cursor over a serialization stream, in XDR
// (big-endian) or native little-endian byte order.
type reader struct {
	b     []byte
	off   int
	order binary.ByteOrder
}

func (r *reader) fail(format string, args ...any) error {
	return &formatError{off: r.off, msg: fmt.Sprintf(format, args...)}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) int32() (int32, error) {
	if r.remaining() < 4 {
		return 0, r.fail("truncated (an integer needs 4 bytes, %d left)", r.remaining())
	}
	v := int32(r.order.Uint32(r.b[r.off:]))
	r.off += 4
	return v, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.fail("truncated (%d bytes announced, %d left)", n, r.remaining())
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}

// length reads a vector length, including the long-vector form (-1, then
// the upper and lower 32 bits), and checks that the elements can be present:
// each takes at least minSize bytes of the remaining input. That check is
// what keeps a forged length from allocating anything.
func (r *reader) length(minSize int) (int, error) {
	n, err := r.int32()
	if err != nil {
		return 0, err
	}
	var l int64
	switch {
	case n >= 0:
		l = int64(n)
	case n == -1:
		hi, err := r.int32()
		if err != nil {
			return 0, err
		}
		lo, err := r.int32()
		if err != nil {
			return 0, err
		}
		if hi < 0 || hi > 65536 {
			return 0, r.fail("invalid upper part of a long vector length")
		}
		l = int64(hi)<<32 | int64(uint32(lo))
	default:
		return 0, r.fail("negative vector length %d", n)
	}
	if minSize > 0 && l > int64(r.remaining()/minSize) {
		return 0, r.fail("vector of %d elements cannot fit in the %d bytes left", l, r.remaining())
	}
	if l > math.MaxInt32*16 {
		return 0, r.fail("vector too long (%d elements)", l)
	}
	return int(l), nil
}

func (r *reader) ints(n int) ([]int32, error) {
	b, err := r.bytes(n * 4)
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(r.order.Uint32(b[4*i:]))
	}
	return out, nil
}

func (r *reader) reals(n int) ([]float64, error) {
	b, err := r.bytes(n * 8)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(r.order.Uint64(b[8*i:]))
	}
	return out, nil
}
