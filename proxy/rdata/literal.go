package rdata

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// R source spellings of names and constants, for Deparse.

var reserved = map[string]bool{
	"if": true, "else": true, "repeat": true, "while": true, "function": true, "for": true,
	"next": true, "break": true, "TRUE": true, "FALSE": true, "NULL": true, "Inf": true,
	"NaN": true, "NA": true, "NA_integer_": true, "NA_real_": true, "NA_character_": true,
	"NA_complex_": true, "in": true,
}

// symbolText writes a name as R source: bare when syntactic (ASCII only,
// to stay independent of the locale's letters), else in backticks with
// backslash and backtick escaped and control or invalid bytes written as
// \xHH (backticks take no \u escapes).
func symbolText(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: the empty name", ErrNotExact)
	}
	if syntacticASCII(name) && !reserved[name] {
		return name, nil
	}
	var b strings.Builder
	b.WriteByte('`')
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		switch {
		case r == 0:
			return "", fmt.Errorf("%w: a name with a nul character", ErrNotExact)
		case r == '`' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == utf8.RuneError && size <= 1, r < 0x20, r == 0x7f, !unicode.IsPrint(r):
			for _, c := range []byte(name[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteString(name[i : i+size])
		}
		i += size
	}
	b.WriteByte('`')
	return b.String(), nil
}

func syntacticASCII(s string) bool {
	if s == "." {
		return true
	}
	c := s[0]
	switch {
	case isLetter(c):
	case c == '.':
		if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
			return false
		}
	default:
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// constant writes a scalar without attributes as an R literal. R's syntax
// has no literal for a negative number (-1 is a call), a vector of another
// length, or an object with attributes.
func constant(v *Value) (string, error) {
	if v.Type == NILSXP && len(v.Attr) == 0 {
		return "NULL", nil
	}
	if len(v.Attr) > 0 {
		return "", fmt.Errorf("%w: a %s constant with attributes in code", ErrNotExact, v.Type)
	}
	if v.Levels&s4Bit != 0 || v.Object {
		return "", fmt.Errorf("%w: an object constant in code", ErrNotExact)
	}
	if v.Len() != 1 {
		return "", fmt.Errorf("%w: a %s vector of length %d in code", ErrNotExact, v.Type, v.Len())
	}
	switch v.Type {
	case LGLSXP:
		switch v.Ints[0] {
		case 0:
			return "FALSE", nil
		case 1:
			return "TRUE", nil
		case NAInteger:
			return "NA", nil
		}
		return "", fmt.Errorf("%w: a logical holding %d", ErrNotExact, v.Ints[0])
	case INTSXP:
		x := v.Ints[0]
		if x == NAInteger {
			return "NA_integer_", nil
		}
		if x < 0 {
			return "", fmt.Errorf("%w: a negative integer constant in code", ErrNotExact)
		}
		return strconv.Itoa(int(x)) + "L", nil
	case REALSXP:
		return realText(v.Reals[0])
	case CPLXSXP:
		c := v.Complex[0]
		if IsNAReal(real(c)) && IsNAReal(imag(c)) {
			return "NA_complex_", nil
		}
		if real(c) != 0 || math.Signbit(real(c)) {
			return "", fmt.Errorf("%w: a complex constant with a real part in code", ErrNotExact)
		}
		im, err := realText(imag(c))
		if err != nil || !isNumberText(im) {
			return "", fmt.Errorf("%w: complex constant %v in code", ErrNotExact, c)
		}
		return im + "i", nil
	case STRSXP:
		return stringText(v.Strings[0])
	}
	return "", fmt.Errorf("%w: a %s in code", ErrNotExact, v.Type)
}

func isNumberText(s string) bool { return s != "" && (s[0] >= '0' && s[0] <= '9') }

// realText writes a double exactly: small integers in decimal, everything
// else as a hexadecimal constant (which R reads without rounding).
func realText(x float64) (string, error) {
	switch {
	case IsNAReal(x):
		return "NA_real_", nil
	case math.IsNaN(x):
		return "NaN", nil
	case math.Signbit(x):
		return "", fmt.Errorf("%w: a negative number constant in code", ErrNotExact)
	case math.IsInf(x, 1):
		return "Inf", nil
	case x == math.Trunc(x) && x < 1<<53:
		return strconv.FormatFloat(x, 'f', 0, 64), nil
	}
	return strconv.FormatFloat(x, 'x', -1, 64), nil
}

// stringText writes a string literal: UTF-8, with quotes, backslashes and
// control and invisible characters escaped (\u escapes only, since R
// forbids mixing \u with \x in one string).
func stringText(s String) (string, error) {
	if s.NA {
		return "NA_character_", nil
	}
	text, ok := s.UTF8()
	if !ok {
		return "", fmt.Errorf("%w: a string that is not valid text", ErrNotExact)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range text {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			return "", fmt.Errorf("%w: a string with a nul character", ErrNotExact)
		default:
			switch {
			case r > 0xffff && !unicode.IsPrint(r):
				fmt.Fprintf(&b, `\U{%x}`, r)
			case r < 0x20 || r == 0x7f || !unicode.IsPrint(r) && r != ' ':
				fmt.Fprintf(&b, `\u{%x}`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}
