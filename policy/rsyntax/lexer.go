package rsyntax

import "fmt"

// Limits of R's lexer (R 4.2, src/include/Defn.h and gram.y).
const (
	maxEltSize       = 8192  // MAXELTSIZE: yytext buffer for names, numbers, %op%
	maxIDSize        = 10000 // MAXIDSIZE: longest symbol name install() takes
	contextStackSize = 50    // CONTEXTSTACK_SIZE
	maxLineDirective = 1 << 30
)

// lexer is R's token() and yylex() (gram.y) over a reader.
type lexer struct {
	reader
	warnings []Warning
	names    [256]string // see intern
	ntokens  int         // tokens read for the current top-level expression
	// placeholder is R's HavePlaceholder: a `_` has been read, so the
	// placeholder checks have something to find.
	placeholder bool

	// yylex state, reset before each top-level expression (ParseInit).
	ctx      []byte // context stack; ctx[0] is the ' ' sentinel
	eatLines bool
	saved    *token
}

func newLexer(src []byte) *lexer {
	lx := &lexer{reader: reader{src: src, line: 1}}
	lx.ctx = make([]byte, 1, 16)
	lx.parseInit()
	return lx
}

// parseInit is R's ParseInit: each top-level expression starts afresh.
func (lx *lexer) parseInit() {
	lx.ctx = lx.ctx[:1]
	lx.ctx[0] = ' '
	lx.saved = nil
	lx.eatLines = false
}

func (lx *lexer) errorf(p Pos, format string, args ...any) error {
	return &SyntaxError{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// maxText is R's limit on the text of a name, number or %op%: its yytext
// buffer holds MAXELTSIZE bytes with the terminating nul, and R reports
// "input buffer overflow" when a token does not fit.
const maxText = maxEltSize - 2

// skipSpace is R's SkipSpace in a UTF-8 locale.
func (lx *lexer) skipSpace() int {
	// Fast path over ASCII blanks; getc's bookkeeping is only needed for
	// the character that ends the run.
	for lx.off < len(lx.src) {
		switch lx.src[lx.off] {
		case ' ', '\f':
			lx.col++
		case '\t':
			lx.col = (lx.col + 8) &^ 7
		default:
			goto slow
		}
		lx.off++
	}
slow:
	for {
		c := lx.getc()
		if c == ' ' || c == '\t' || c == '\f' {
			continue
		}
		if c == '\n' || c == eofChar || c < 0x80 {
			return c
		}
		r, n := lx.lastRune()
		if !isBlank(r) {
			return c
		}
		for i := 1; i < n; i++ {
			lx.getc()
		}
	}
}

// skipComment is R's SkipComment, including "#line N" directives at the
// start of a line, which renumber the following lines.
func (lx *lexer) skipComment() (int, error) {
	c := int('#')
	if lx.col == 1 {
		const directive = "#line"
		maybeLine := true
		for i := 1; i < len(directive); i++ {
			c = lx.getc()
			if c != int(directive[i]) {
				maybeLine = false
				break
			}
		}
		if maybeLine {
			var err error
			if c, err = lx.lineDirective(); err != nil {
				return 0, err
			}
		}
	}
	for c != '\n' && c != eofChar {
		c = lx.getc()
	}
	if c == eofChar {
		lx.eofInComment = true
	}
	return c, nil
}

// lineDirective is R's processLineDirective.
func (lx *lexer) lineDirective() (int, error) {
	c := lx.skipSpace()
	if !isDigit(c) {
		return c, nil
	}
	start, from := lx.pos(), lx.off-1
	if _, err := lx.numericValue(c, start); err != nil {
		return 0, err
	}
	// atoi(yytext): the leading decimal digits of what NumericValue read,
	// even when it was not a valid number ("#line 1e" is line 1).
	n := 0
	for i := from; i < len(lx.src) && isDigit(int(lx.src[i])); i++ {
		n = n*10 + int(lx.src[i]-'0')
		if n > maxLineDirective {
			return 0, lx.errorf(start, "line number in #line directive out of range")
		}
	}
	c = lx.skipSpace()
	if c == '"' {
		if _, err := lx.stringValue(c, false, lx.pos()); err != nil {
			return 0, err
		}
	} else {
		lx.ungetc()
	}
	for c = lx.getc(); c != '\n' && c != eofChar; c = lx.getc() {
	}
	lx.line = n
	return c, nil
}

// specialValue is R's SpecialValue: %op%, up to the next % on the line.
// An unterminated one is the ERROR token.
func (lx *lexer) specialValue(start Pos) (token, error) {
	from := lx.off - 1
	c := lx.getc()
	for ; c != eofChar && c != '%'; c = lx.getc() {
		if c == '\n' {
			lx.ungetc()
			return token{kind: tError, pos: start}, nil
		}
	}
	if lx.off-from > maxText {
		return token{}, lx.errorf(start, "input buffer overflow at line %d", lx.line)
	}
	return token{kind: tSpecial, pos: start, val: string(lx.src[from:lx.off])}, nil
}

// token is R's token(): the next lexeme, before yylex's context handling.
func (lx *lexer) token() (token, error) {
	if lx.saved != nil {
		t := *lx.saved
		lx.saved = nil
		return t, nil
	}
	c := lx.skipSpace()
	if c == '#' {
		var err error
		if c, err = lx.skipComment(); err != nil {
			return token{}, err
		}
	}
	start := lx.pos()
	if c == eofChar {
		return token{kind: tEOF, pos: start}, nil
	}
	isSymbolDot := false
	if c == '.' {
		// "." followed by a digit starts a number, otherwise a name.
		d := lx.getc()
		lx.ungetc()
		isSymbolDot = !isDigit(d)
	}
	if !isSymbolDot {
		if c == '.' || isDigit(c) {
			return lx.numericValue(c, start)
		}
		if c == 'r' || c == 'R' {
			if lx.nextchar('"') {
				return lx.rawStringValue('"', start)
			}
			if lx.nextchar('\'') {
				return lx.rawStringValue('\'', start)
			}
		}
		switch c {
		case '"', '\'':
			return lx.stringValue(c, false, start)
		case '%':
			return lx.specialValue(start)
		case '`':
			return lx.stringValue(c, true, start)
		}
	}
	if c == '.' {
		return lx.symbolValue(c, start)
	}
	if c == '_' {
		lx.placeholder = true
		return token{kind: tPlaceholder, pos: start, val: "_"}, nil
	}
	if c >= 0x80 {
		if r, _ := lx.lastRune(); isAlpha(r) {
			return lx.symbolValue(c, start)
		}
		return token{kind: tUndefined, pos: start}, nil
	}
	if isASCIIAlpha(c) {
		return lx.symbolValue(c, start)
	}
	return lx.operator(c, start), nil
}
