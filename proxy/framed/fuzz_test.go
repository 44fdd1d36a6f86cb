package framed_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/rwarden/rwarden/proxy/framed"
)

func FuzzReadRequest(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.input)
	}
	f.Add(req("UTF-8", []byte("R.version")))
	f.Add(req("latin1", []byte("'\xe9'")))
	f.Add(req("Shift_JIS", []byte("'\x93\xfa'")))
	f.Add(frame([]string{authLine("alice:pw"), "UTF-8"}, 3, []byte("1+1")))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxCode = 4096
		r, err := framed.ReadRequest(bytes.NewReader(data), framed.Limits{MaxCodeBytes: maxCode})
		if err != nil {
			var pe *framed.ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("a byte slice can only produce protocol errors, got %T %v", err, err)
			}
			return
		}
		if !utf8.Valid(r.Code) {
			t.Fatalf("decoded code is not UTF-8: %q", r.Code)
		}
		if bytes.IndexByte(r.Code, 0) >= 0 {
			t.Fatalf("decoded code contains NUL")
		}
		if r.Auth != nil && r.Auth.User == "" {
			t.Fatalf("empty user accepted")
		}
		// What was accepted must survive being re-sent in its own encoding.
		raw, err := r.Encoding.EncodeStrict(string(r.Code))
		if err != nil {
			t.Fatalf("accepted code does not re-encode to %s: %v", r.Encoding.Name(), err)
		}
		var buf bytes.Buffer
		if err := framed.WriteRequest(&buf, nil, r.Encoding.Declared(), raw); err != nil {
			t.Fatalf("re-sending: %v", err)
		}
		again, err := framed.ReadRequest(&buf, framed.Limits{MaxCodeBytes: 4 * maxCode})
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if !bytes.Equal(again.Code, r.Code) {
			t.Fatalf("round trip changed the code: %q -> %q", r.Code, again.Code)
		}
	})
}

func FuzzReadResponse(f *testing.F) {
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint64(nil, 3))
	f.Add(append(binary.LittleEndian.AppendUint64(nil, 3), "[1]"...))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<63))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxLen = 1024
		body, err := framed.ReadResponse(bytes.NewReader(data), maxLen)
		if err != nil {
			return
		}
		if len(data) < 8 {
			t.Fatalf("answer accepted from %d bytes", len(data))
		}
		m := binary.LittleEndian.Uint64(data[:8])
		if m > maxLen || uint64(len(body)) != m || !bytes.Equal(body, data[8:8+m]) {
			t.Fatalf("body does not match the frame: len %d, header %d", len(body), m)
		}
	})
}
