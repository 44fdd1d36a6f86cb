package rdata_test

import (
	"strings"
	"testing"

	"github.com/rwarden/rwarden/internal/testutil"
)

// runR runs an R script with real R in dir and returns its standard output.
func runR(t *testing.T, dir, script string) string {
	t.Helper()
	return testutil.RunR(t, dir, script)
}

// rString quotes s as an R string literal (ASCII, escapes for the rest).
func rString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r >= 0x7f:
			b.WriteString(`\u{`)
			b.WriteString(strings.ToLower(strings.TrimLeft(hex4(r), "0")))
			b.WriteString("}")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hex4(r rune) string {
	const digits = "0123456789ABCDEF"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[r&0xf]
		r >>= 4
	}
	return string(b[:])
}
