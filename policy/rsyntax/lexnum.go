package rsyntax

import (
	"math"
	"strconv"
	"strings"
)

func isHexDigit(c int) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// numericValue is R's NumericValue: c (already read) is a digit or a '.'
// followed by a digit. Malformed numbers are the ERROR token, which the
// parser reports as "unexpected input" at the number's start.
func (lx *lexer) numericValue(t *token, c int, start Pos) error {
	seendot := 0
	if c == '.' {
		seendot = 1
	}
	seenexp := false
	last := c
	count := 1
	// The number's text is exactly the characters consumed, so it is
	// sliced from the input at the end instead of copied as R does.
	from := lx.off - 1
	for {
		c = lx.getc()
		if !(isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == 'x' || c == 'X' || c == 'L') {
			break
		}
		count++
		if c == 'L' { // must be at the end
			break
		}
		if c == 'x' || c == 'X' {
			if count > 2 || last != '0' {
				break // 0x must be first
			}
			nd := 0
			for c = lx.getc(); isHexDigit(c) || c == '.'; c = lx.getc() {
				if c == '.' {
					if seendot != 0 {
						return lx.bad(t, start)
					}
					seendot = 1
				}
				nd++
			}
			if nd == 0 {
				return lx.bad(t, start)
			}
			if c == 'p' || c == 'P' {
				seenexp = true
				c = lx.getc()
				if !isDigit(c) && c != '+' && c != '-' {
					return lx.bad(t, start)
				}
				if c == '+' || c == '-' {
					c = lx.getc()
				}
				nd = 0
				for ; isDigit(c); c = lx.getc() {
					nd++
				}
				if nd == 0 {
					return lx.bad(t, start)
				}
			}
			if seendot != 0 && !seenexp {
				return lx.bad(t, start)
			}
			break // a following L or i is handled below
		}
		if c == 'E' || c == 'e' {
			if seenexp {
				break
			}
			seenexp = true
			if seendot != 1 {
				seendot = 2
			}
			c = lx.getc()
			if !isDigit(c) && c != '+' && c != '-' {
				return lx.bad(t, start)
			}
			if c == '+' || c == '-' {
				c = lx.getc()
				if !isDigit(c) {
					return lx.bad(t, start)
				}
			}
		}
		if c == '.' {
			if seendot != 0 {
				break
			}
			seendot = 1
		}
		last = c
	}
	// A final i (complex) or L (integer) belongs to the number.
	if c != 'i' && c != 'L' {
		lx.ungetc()
	}
	if lx.off-from > maxText {
		return lx.errorf(start, "input buffer overflow at line %d", lx.line)
	}
	text := lx.intern(lx.src[from:lx.off])
	t.set(tNum, start, text)
	switch c {
	case 'i':
		t.num = NumComplex
	case 'L':
		a := numValue(strings.TrimSuffix(text, "L"))
		switch {
		case a == math.Trunc(a) && a <= math.MaxInt32:
			t.num = NumInteger
			if seendot == 1 && !seenexp {
				lx.warn(start, "integer literal %s contains unnecessary decimal point", text)
			}
		case seendot == 1 && !seenexp:
			lx.warn(start, "integer literal %s contains decimal; using numeric value", text)
		default:
			lx.warn(start, "non-integer value %s qualified with L; using numeric value", text)
		}
	}
	return nil
}

// bad writes the ERROR token of a malformed number.
func (lx *lexer) bad(t *token, start Pos) error {
	*t = token{kind: tError, pos: start}
	return nil
}

func (lx *lexer) warn(p Pos, format string, args ...any) {
	e := lx.errorf(p, format, args...).(*SyntaxError)
	lx.warnings = append(lx.warnings, Warning(*e))
}

// numValue approximates R_atof for deciding whether an L literal is an
// integer. Only integrality and the int range matter, so correct rounding
// of long decimals is not needed.
func numValue(s string) float64 {
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		if strings.ContainsAny(s, "pP") {
			v, _ := strconv.ParseFloat(s, 64)
			return v
		}
		v := 0.0
		for _, c := range s[2:] {
			d, _ := strconv.ParseUint(string(c), 16, 8)
			v = v*16 + float64(d)
		}
		return v
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
