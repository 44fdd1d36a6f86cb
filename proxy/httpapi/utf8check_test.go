package httpapi

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
)

// TestUTF8Reader: valid UTF-8 passes whole however it is split into
// reads (every character split at every byte); invalid bytes, a truncated
// character at the end and overlong forms are refused.
func TestUTF8Reader(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"ascii", "a,b\n1,2\n", true},
		{"multibyte", "é,€,𝄞\nçà,日本\n", true},
		{"bom", "\uFEFFa\n", true},
		{"invalid byte", "a\n\xff\n", false},
		{"truncated at end", "a\n\xe2\x82", false},
		{"overlong", "a\n\xc0\xaf\n", false},
		{"surrogate", "a\n\xed\xa0\x80\n", false},
		{"continuation alone", "a\x80b", false},
	}
	for _, tt := range tests {
		for _, split := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"one byte", iotest.OneByteReader}, {"half", iotest.HalfReader}} {
			t.Run(tt.name+"/"+split.name, func(t *testing.T) {
				got, err := io.ReadAll(&utf8Reader{r: split.wrap(strings.NewReader(tt.in))})
				if tt.ok {
					assert.NoError(t, err)
					assert.Equal(t, tt.in, string(got))
				} else {
					assert.ErrorIs(t, err, errNotUTF8)
				}
			})
		}
	}
}
