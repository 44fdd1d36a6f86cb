package rsyntax

import "unicode/utf8"

const eofChar = -1

// rstate is the reader position that R's xxungetc restores.
type rstate struct{ off, line, col int }

// reader reproduces R's xxgetc/xxungetc over a byte slice: it tracks line
// and column with R's rules, and ungetc restores the position from before
// the last getc exactly as R's pushback does. R keeps 16 states; the lexer
// never ungets twice without reading in between, so one is enough.
type reader struct {
	src            []byte
	off, line, col int
	prev           rstate
	eofInComment   bool // R's EndOfFile == 2
}

func (r *reader) getc() int {
	r.prev = rstate{r.off, r.line, r.col}
	if r.off >= len(r.src) {
		return eofChar
	}
	c := r.src[r.off]
	r.off++
	if c == '\n' {
		r.line++
		r.col = 0
	} else if c < 0x80 || c >= 0xC0 {
		// Only the first byte of a UTF-8 character advances the column.
		r.col++
	}
	if c == '\t' {
		r.col = (r.col + 7) &^ 7
	}
	return int(c)
}

func (r *reader) ungetc() {
	r.off, r.line, r.col = r.prev.off, r.prev.line, r.prev.col
}

// nextchar is R's nextchar: consume the next character if it is expect.
func (r *reader) nextchar(expect int) bool {
	if r.getc() == expect {
		return true
	}
	r.ungetc()
	return false
}

// lastRune decodes the character whose first byte getc just returned.
// The input was validated as UTF-8, so this never fails.
func (r *reader) lastRune() (rune, int) {
	return utf8.DecodeRune(r.src[r.off-1:])
}

func (r *reader) pos() Pos { return Pos{int32(r.line), int32(r.col)} }
