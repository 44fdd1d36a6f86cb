package rsyntax

import (
	"unicode/utf8"
)

// ctext reproduces R's CTEXT buffer: the source text of a string seen so
// far, which R quotes in escape error messages ("... in character string
// starting "..."). R keeps at most about 1000 bytes, dropping the front.
type ctext struct{ b []byte }

func (t *ctext) push(c int) {
	if len(t.b) >= 1000 {
		skip := 104
		for skip < len(t.b) && t.b[skip]&0xc0 == 0x80 {
			skip++
		}
		t.b = append([]byte("... "), t.b[skip:]...)
	}
	t.b = append(t.b, byte(c))
}

func (t *ctext) pop() {
	if len(t.b) > 0 {
		t.b = t.b[:len(t.b)-1]
	}
}

func hexVal(c int) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// isBidi is R's BIDI_CHECK: explicit directional formatting characters
// are refused in literal text because they can make code read differently
// from how it parses.
func isBidi(r rune) bool {
	return r >= 0x202A && r <= 0x2069 && !(r > 0x202E && r < 0x2066)
}

// errNeedText is returned by scanString, when it runs without a ctext,
// for an error whose message quotes the string: the caller then scans the
// string again with one. Most strings have no error, so the common path
// does not build R's error-message copy of the text.
var errNeedText = &SyntaxError{Msg: "string text needed"}

// stringValue is R's StringValue: a "..." or '...' string constant, or a
// `...` name when forSymbol. quote has been read; start is its position.
func (lx *lexer) stringValue(quote int, forSymbol bool, start Pos) (token, error) {
	saved := lx.reader
	tok, err := lx.scanString(quote, forSymbol, start, nil)
	if err == errNeedText {
		lx.reader = saved
		var ct ctext
		ct.push(quote)
		tok, err = lx.scanString(quote, forSymbol, start, &ct)
	}
	return tok, err
}

func (lx *lexer) scanString(quote int, forSymbol bool, start Pos, ct *ctext) (token, error) {
	push := func(c int) {
		if ct != nil {
			ct.push(c)
		}
	}
	pop := func() {
		if ct != nil {
			ct.pop()
		}
	}
	quoted := func(format string) error {
		if ct == nil {
			return errNeedText
		}
		return lx.errorf(start, format, ct.b)
	}
	from := lx.off // the value is src[from:lx.off] until an escape
	var st []byte  // the value once an escape has been seen (R's stext)
	escaped := false
	wcnt := 0 // characters, as R counts them for its 10000 limit
	octHex, useWcs := false, false
	c := 0
	for {
		c = lx.getc()
		if c == eofChar || c == quote {
			break
		}
		push(c)
		if c == '\n' {
			// A newline inside a string is kept, as if escaped; the value
			// keeps the newline, so it still equals the source.
			lx.ungetc()
			pop()
			c = '\\'
		} else if c == '\\' && !escaped {
			// From the first real escape on, the value differs from the
			// source and is built byte by byte.
			escaped = true
			st = append(st, lx.src[from:lx.off-1]...)
		}
		if c == '\\' {
			c = lx.getc()
			push(c)
			switch {
			case c >= '0' && c <= '7':
				octal := c - '0'
				if c = lx.getc(); c >= '0' && c <= '7' {
					push(c)
					octal = 8*octal + c - '0'
					if c = lx.getc(); c >= '0' && c <= '7' {
						push(c)
						octal = 8*octal + c - '0'
					} else {
						lx.ungetc()
						pop() // R pops here although nothing was pushed
					}
				} else {
					lx.ungetc()
					pop()
				}
				if octal == 0 {
					return token{}, lx.errorf(start, "nul character not allowed (line %d)", lx.line)
				}
				if octal > 0xff {
					return token{}, lx.errorf(start, `exceeded maximum allowed octal value \377 (line %d)`, lx.line)
				}
				c = octal
				octHex = true
			case c == 'x':
				val := 0
				for i := 0; i < 2; i++ {
					c = lx.getc()
					push(c)
					d, ok := hexVal(c)
					if !ok {
						lx.ungetc()
						pop()
						if i == 0 {
							return token{}, quoted(`'\x' used without hex digits in character string starting "%s"`)
						}
						break
					}
					val = 16*val + d
				}
				if val == 0 {
					return token{}, lx.errorf(start, "nul character not allowed (line %d)", lx.line)
				}
				c = val
				octHex = true
			case c == 'u' || c == 'U':
				r, err := lx.unicodeEscape(c, forSymbol, start, ct)
				if err != nil {
					return token{}, err
				}
				st = utf8.AppendRune(st, r)
				wcnt++
				useWcs = true
				continue
			default:
				switch c {
				case 'a':
					c = '\a'
				case 'b':
					c = '\b'
				case 'f':
					c = '\f'
				case 'n':
					c = '\n'
				case 'r':
					c = '\r'
				case 't':
					c = '\t'
				case 'v':
					c = '\v'
				case '\\', '"', '\'', '`', ' ', '\n':
				default:
					if ct == nil {
						return token{}, errNeedText
					}
					return token{}, lx.errorf(start, `'\%c' is an unrecognized escape in character string starting "%s"`, rune(c), ct.b)
				}
			}
		} else if c >= 0x80 {
			r, n := lx.lastRune()
			if isBidi(r) {
				return token{}, lx.errorf(start, `bidi formatting not allowed (line %d), use escapes instead (\u%04x)`, lx.line, r)
			}
			wcnt++
			if escaped {
				st = append(st, byte(c))
			}
			for i := 1; i < n; i++ {
				c = lx.getc()
				push(c)
				if escaped {
					st = append(st, byte(c))
				}
			}
			continue
		}
		if escaped {
			st = append(st, byte(c))
		}
		wcnt++
	}
	if c == eofChar {
		return token{kind: tIncompleteString, pos: start}, nil
	}
	if !escaped {
		st = lx.src[from : lx.off-1]
	}
	if forSymbol {
		if len(st) == 0 {
			return token{}, lx.errorf(start, "attempt to use zero-length variable name")
		}
		if len(st) > maxIDSize {
			return token{}, lx.errorf(start, "variable names are limited to %d bytes", maxIDSize)
		}
		return token{kind: tSymbol, pos: start, val: lx.intern(st), quoted: true}, nil
	}
	if useWcs {
		if octHex {
			return token{}, lx.errorf(start, "mixing Unicode and octal/hex escapes in a string is not allowed")
		}
		// R counts the terminator and keeps at most 10000 characters.
		if wcnt+1 >= 10000 {
			return token{}, lx.errorf(start, "string at line %d containing Unicode escapes not in this locale\nis too long (max 10000 chars)", lx.line)
		}
	}
	if len(st) <= 64 {
		// Scripts repeat their short strings too ("mean", "x").
		return token{kind: tStr, pos: start, val: lx.intern(st)}, nil
	}
	return token{kind: tStr, pos: start, val: string(st)}, nil
}

// unicodeEscape reads the digits of \uXXXX, \u{XXXX}, \UXXXXXXXX or
// \U{XXXXXXXX}; u ('u' or 'U') has been read.
func (lx *lexer) unicodeEscape(u int, forSymbol bool, start Pos, ct *ctext) (rune, error) {
	push := func(c int) {
		if ct != nil {
			ct.push(c)
		}
	}
	maxDigits, name := 4, `\uxxxx`
	if u == 'U' {
		maxDigits, name = 8, `\Uxxxxxxxx`
	}
	if forSymbol {
		return 0, lx.errorf(start, "%s sequences not supported inside backticks (line %d)", name, lx.line)
	}
	delim := false
	if c := lx.getc(); c == '{' {
		delim = true
		push(c)
	} else {
		lx.ungetc()
	}
	val := 0
	for i := 0; i < maxDigits; i++ {
		c := lx.getc()
		push(c)
		d, ok := hexVal(c)
		if !ok {
			lx.ungetc()
			if ct == nil {
				if i == 0 {
					return 0, errNeedText
				}
				break
			}
			ct.pop()
			if i == 0 {
				return 0, lx.errorf(start, `'\%c' used without hex digits in character string starting "%s"`, rune(u), ct.b)
			}
			break
		}
		val = 16*val + d
	}
	if delim {
		if c := lx.getc(); c != '}' {
			if u == 'U' {
				return 0, lx.errorf(start, `invalid \U{xxxxxxxx} sequence (line %d)`, lx.line)
			}
			return 0, lx.errorf(start, `invalid \u{xxxx} sequence (line %d)`, lx.line)
		}
		push('}')
	}
	if val == 0 {
		return 0, lx.errorf(start, "nul character not allowed (line %d)", lx.line)
	}
	if u == 'U' && val > 0x10FFFF {
		if delim {
			return 0, lx.errorf(start, `invalid \U{xxxxxxxx} value %6x (line %d)`, val, lx.line)
		}
		return 0, lx.errorf(start, `invalid \Uxxxxxxxx value %6x (line %d)`, val, lx.line)
	}
	if val >= 0xD800 && val <= 0xDFFF {
		// R only warns and stores bytes that are not valid UTF-8; what a
		// name built from them means is not worth guessing.
		return 0, lx.errorf(start, `surrogate code point \u%04x in a string is not supported`, val)
	}
	return rune(val), nil
}

// rawStringValue is R's RawStringValue: r"(...)", R'[...]', r"--{...}--".
// The value is the source between the delimiters, verbatim.
func (lx *lexer) rawStringValue(quote int, start Pos) (token, error) {
	ndash := 0
	for lx.nextchar('-') {
		ndash++
	}
	var delim int
	switch lx.getc() {
	case '(':
		delim = ')'
	case '[':
		delim = ']'
	case '{':
		delim = '}'
	case '|':
		delim = '|'
	default:
		return token{}, lx.errorf(start, "malformed raw string literal at line %d", lx.line)
	}
	from := lx.off
	for {
		c := lx.getc()
		switch {
		case c == eofChar:
			return token{kind: tIncompleteString, pos: start}, nil
		case c == delim:
			end := lx.off - 1
			nd := 0
			for nd < ndash && lx.nextchar('-') {
				nd++
			}
			if nd == ndash && lx.nextchar(quote) {
				return token{kind: tStr, pos: start, val: string(lx.src[from:end]), quoted: true}, nil
			}
		case c >= 0x80:
			r, n := lx.lastRune()
			if isBidi(r) {
				return token{}, lx.errorf(start, `bidi formatting not allowed (line %d), use escapes instead (\u%04x)`, lx.line, r)
			}
			for i := 1; i < n; i++ {
				lx.getc()
			}
		}
	}
}
