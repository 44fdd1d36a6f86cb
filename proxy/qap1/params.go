package qap1

import (
	"bytes"
	"encoding/binary"
)

// Param is one parameter of a command: its type (DT_*, without the
// DT_LARGE flag) and its data.
type Param struct {
	Type int
	Data []byte
}

// ParseParams splits a command payload into its parameters, as Rserve
// does: parameters follow each other until the payload ends or a zero head
// word (clients such as roger pad their messages with zeros); at most 16
// are read. Every length is checked against the payload.
func ParseParams(payload []byte) ([]Param, error) {
	var out []Param
	for off := 0; off < len(payload); {
		if len(out) == maxParamsPerMessage {
			return nil, protoErr("more than %d parameters", maxParamsPerMessage)
		}
		rest := payload[off:]
		if len(rest) < 4 {
			// A short tail: Rserve reads it as zero padding.
			if bytes.Count(rest, []byte{0}) != len(rest) {
				return nil, protoErr("%d stray bytes after the parameters", len(rest))
			}
			break
		}
		head := binary.LittleEndian.Uint32(rest)
		if head == 0 {
			break
		}
		typ := int(head & 0xff)
		n := uint64(head >> 8)
		hs := 4
		if typ&DtLarge != 0 {
			if len(rest) < 8 {
				return nil, protoErr("truncated large parameter head")
			}
			n |= uint64(binary.LittleEndian.Uint32(rest[4:])) << 24
			typ &^= DtLarge
			hs = 8
		}
		if n > uint64(len(rest)-hs) {
			return nil, protoErr("parameter %d of %d bytes, but %d remain", len(out)+1, n, len(rest)-hs)
		}
		out = append(out, Param{Type: typ, Data: rest[hs : hs+int(n)]})
		off += hs + int(n)
	}
	return out, nil
}

// String returns a DT_STRING parameter's text: the bytes up to the first
// NUL (or to the end of the parameter when there is none).
func (p Param) String() string {
	if i := bytes.IndexByte(p.Data, 0); i >= 0 {
		return string(p.Data[:i])
	}
	return string(p.Data)
}

// Int returns a DT_INT parameter's value.
func (p Param) Int() (int32, bool) {
	if p.Type != DtInt || len(p.Data) < 4 {
		return 0, false
	}
	return int32(binary.LittleEndian.Uint32(p.Data)), true
}

// AppendParamHead appends the head of a parameter of type typ and n bytes,
// in the DT_LARGE form when n does not fit 24 bits.
func AppendParamHead(b []byte, typ int, n int) []byte {
	if n > 0xfffff0 {
		b = binary.LittleEndian.AppendUint32(b, uint32(typ|DtLarge)|uint32(n&0xffffff)<<8)
		return binary.LittleEndian.AppendUint32(b, uint32(uint64(n)>>24))
	}
	return binary.LittleEndian.AppendUint32(b, uint32(typ)|uint32(n)<<8)
}

// StringParam encodes a DT_STRING parameter: the text, a NUL, and NUL
// padding to a multiple of 4.
func StringParam(s string) []byte {
	n := (len(s) + 1 + 3) &^ 3
	b := AppendParamHead(make([]byte, 0, 8+n), DtString, n)
	b = append(b, s...)
	return append(b, make([]byte, n-len(s))...)
}

// BytesParam encodes a DT_BYTESTREAM parameter.
func BytesParam(data []byte) []byte {
	b := AppendParamHead(make([]byte, 0, 8+len(data)), DtBytestream, len(data))
	return append(b, data...)
}

// IntParam encodes a DT_INT parameter.
func IntParam(v int32) []byte {
	b := AppendParamHead(make([]byte, 0, 8), DtInt, 4)
	return binary.LittleEndian.AppendUint32(b, uint32(v))
}
