package framed_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/framed"
)

// TestReadRequestStreamLineHostile: variants of the STREAM opt-in line
// that are not exactly it are refused as protocol errors (never read as
// streaming, never as an encoding), and an oversized first line is cut at
// the encoding line's limit without reading on.
func TestReadRequestStreamLineHostile(t *testing.T) {
	one := []byte("1")
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"trailing space", frame([]string{"STREAM ", "UTF-8"}, 1, one), "only printable ASCII"},
		{"leading space", frame([]string{" STREAM", "UTF-8"}, 1, one), "only printable ASCII"},
		{"suffix", frame([]string{"STREAMX", "UTF-8"}, 1, one), "unknown"},
		{"NUL inside", frame([]string{"STREAM\x00", "UTF-8"}, 1, one), "only printable ASCII"},
		{"two CRs", frame([]string{"STREAM\r\r", "UTF-8"}, 1, one), "only printable ASCII"},
		{"STREAM after AUTH after STREAM", frame([]string{"STREAM", authLine("alice:pw"), "STREAM"}, 1, one), "unknown"},
		{"STREAM as the only line before code", frame([]string{"STREAM"}, 1, one), "connection closed after the STREAM line"},
		{"AUTH twice after STREAM", frame([]string{"STREAM", authLine("a:b"), authLine("c:d"), "UTF-8"}, 1, one), "only one AUTH"},
		{"oversized", frame([]string{strings.Repeat("STREAM", 1<<16), "UTF-8"}, 1, one), "longer than"},
		{"oversized after STREAM", frame([]string{"STREAM", strings.Repeat("x", 1<<16), "UTF-8"}, 1, one), "longer than"},
		{"binary garbage", append([]byte("STREAM\n\xff\xfe\x00\x01\n"), one...), "only printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := framed.ReadRequest(bytes.NewReader(tt.in), framed.Limits{})
			require.Error(t, err, "request: %+v", r)
			assert.Contains(t, err.Error(), tt.wantErr)
			var pe *framed.ProtocolError
			assert.True(t, errors.As(err, &pe), "a protocol error: %v", err)
		})
	}
}
