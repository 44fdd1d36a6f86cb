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
	names    []string  // see intern; a power of two long
	nameKeys []nameKey // the key of each of names (see intern)
	// placeholder is R's HavePlaceholder: a `_` has been read, so the
	// placeholder checks have something to find.
	placeholder bool
	// slowOnly turns fastToken off, for the tests that compare its
	// tokens with slowToken's.
	slowOnly bool

	// yylex state, reset before each top-level expression (ParseInit).
	ctx      []byte // context stack; ctx[0] is the ' ' sentinel
	eatLines bool
	hasSaved bool  // saved holds a token yylex has pushed back
	saved    token // (one token, so that no pointer to it escapes)
}

// reset prepares lx for src, keeping its name cache and context stack.
func (lx *lexer) reset(src []byte) {
	lx.reader = reader{src: src, line: 1}
	lx.warnings = nil
	lx.placeholder = false
	// About one slot per 16 bytes of source (a 2-way set per 32 bytes):
	// a script names each thing many times. A reused lexer keeps a
	// larger table.
	size := 64
	for size < len(src)/16 && size < 8192 {
		size *= 2
	}
	if len(lx.names) < size {
		lx.names = make([]string, size)
		lx.nameKeys = make([]nameKey, size)
	}
	if lx.ctx == nil {
		lx.ctx = make([]byte, 1, contextStackSize+1)
	}
	lx.parseInit()
}

// parseInit is R's ParseInit: each top-level expression starts afresh.
func (lx *lexer) parseInit() {
	lx.ctx = lx.ctx[:1]
	lx.ctx[0] = ' '
	lx.hasSaved = false
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
	// Fast path over ASCII blanks, in locals; getc's bookkeeping is only
	// needed for the character that ends the run.
	src, off, col := lx.src, lx.off, lx.col
	for off < len(src) {
		c := src[off]
		if c == ' ' || c == '\f' {
			col++
		} else if c == '\t' {
			col = (col + 8) &^ 7
		} else {
			break
		}
		off++
	}
	lx.off, lx.col = off, col
	if off < len(src) {
		// The common end of the run: an ASCII character other than a
		// newline or tab, which getc would count as one column.
		if c := src[off]; c < 0x80 && c != '\n' {
			lx.prev = rstate{off, lx.line, col}
			lx.off, lx.col = off+1, col+1
			return int(c)
		}
	}
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
	if c != '\n' && c != eofChar {
		// The rest of the line, in locals with getc's column rules; the
		// newline (or the end) is then read by getc itself.
		src, off, col := lx.src, lx.off, lx.col
		for off < len(src) {
			b := src[off]
			if b == '\n' {
				break
			}
			if b == '\t' {
				col = (col + 8) &^ 7
			} else if b < 0x80 || b >= 0xC0 {
				col++
			}
			off++
		}
		lx.off, lx.col = off, col
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
	var num token
	if err := lx.numericValue(&num, c, start); err != nil {
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
func (lx *lexer) specialValue(t *token, start Pos) error {
	from := lx.off - 1
	c := lx.getc()
	for ; c != eofChar && c != '%'; c = lx.getc() {
		if c == '\n' {
			lx.ungetc()
			*t = token{kind: tError, pos: start}
			return nil
		}
	}
	if lx.off-from > maxText {
		return lx.errorf(start, "input buffer overflow at line %d", lx.line)
	}
	*t = token{kind: tSpecial, pos: start, val: lx.intern(lx.src[from:lx.off])}
	return nil
}

// token is R's token(): the next lexeme, before yylex's context handling.
// It writes the token into t rather than returning it: a token does not fit
// in registers, and copying it through every level was a large part of
// the lexer's time.
func (lx *lexer) token(t *token) error {
	if lx.hasSaved {
		*t = lx.saved
		lx.hasSaved = false
		return nil
	}
	if !lx.slowOnly && lx.fastToken(t) {
		return nil
	}
	return lx.slowToken(t)
}

// fastToken lexes the commonest tokens (an ASCII name or keyword, a
// newline, punctuation that needs no lookahead) after ASCII blanks,
// keeping the reader's position in locals and storing it once: it is what
// skipSpace, getc, symbolValue and operator do for these tokens, without
// their bookkeeping. It reports false, having consumed only blanks, for
// every other token, which slowToken then lexes.
func (lx *lexer) fastToken(t *token) bool {
	src, off, col := lx.src, lx.off, lx.col
	for off < len(src) {
		c := src[off]
		if c == ' ' || c == '\f' {
			col++
		} else if c == '\t' {
			col = (col + 8) &^ 7
		} else {
			break
		}
		off++
	}
	lx.off, lx.col = off, col
	if off >= len(src) {
		return false
	}
	c := src[off]
	switch fastClass[c] {
	case fastName:
		if (c == 'r' || c == 'R') && off+1 < len(src) && (src[off+1] == '"' || src[off+1] == '\'') {
			return false // a raw string
		}
		from := off
		off++
		for off < len(src) && nameByte[src[off]] {
			off++
		}
		if off < len(src) && src[off] >= 0x80 || off-from > maxText {
			// A name going on with a non-ASCII character, or too long.
			return false
		}
		start := Pos{int32(lx.line), int32(col + 1)}
		lx.off, lx.col = off, col+off-from
		b := src[from:off]
		if k := keyword(b); k != tSymbol {
			t.set(k, start, keywordText(b))
			t.konst = k == tNum
			return true
		}
		t.set(tSymbol, start, lx.intern(b))
		return true
	case fastNewline:
		lx.line++
		lx.off, lx.col = off+1, 0
		t.set(tNewline, Pos{int32(lx.line), 0}, "\n")
		return true
	case fastPunct:
		lx.off, lx.col = off+1, col+1
		t.set(punctKind[c], Pos{int32(lx.line), int32(col + 1)}, punctVal[c])
		return true
	case fastOp:
		start := Pos{int32(lx.line), int32(col + 1)}
		lx.off, lx.col = off+1, col+1
		k, val := lx.operatorKind(int(c))
		t.set(k, start, val)
		return true
	case fastDigit:
		return lx.fastNumber(t, off, col)
	case fastQuote:
		return lx.fastString(t, off, col)
	}
	return false
}

// fastNumber lexes a decimal number without exponent or suffix (1, 25,
// 0.5, 3.) at off, as numericValue would; it reports false, consuming
// nothing, for any other number.
func (lx *lexer) fastNumber(t *token, off, col int) bool {
	src := lx.src
	from := off
	for off < len(src) && isDigit(int(src[off])) {
		off++
	}
	if off < len(src) && src[off] == '.' {
		off++
		for off < len(src) && isDigit(int(src[off])) {
			off++
		}
	}
	if off < len(src) && numTail[src[off]] || off-from > maxText {
		return false
	}
	lx.off, lx.col = off, col+off-from
	t.set(tNum, Pos{int32(lx.line), int32(col + 1)}, lx.intern(src[from:off]))
	return true
}

// numTail tells the bytes that make a number more than fastNumber reads:
// a second dot, an exponent, hexadecimal, or a suffix.
var numTail = func() (t [256]bool) {
	for _, c := range ".eExXLi" {
		t[c] = true
	}
	return t
}()

// fastString lexes a "..." or '...' string at off that holds only ASCII
// characters other than a backslash, a tab or a newline, as stringValue
// would; it reports false, consuming nothing, for any other string.
func (lx *lexer) fastString(t *token, off, col int) bool {
	src := lx.src
	quote := src[off]
	end := off + 1
	for ; end < len(src); end++ {
		b := src[end]
		if b == quote {
			break
		}
		if b == '\\' || b == '\n' || b == '\t' || b >= 0x80 {
			return false
		}
	}
	if end >= len(src) {
		return false
	}
	start := Pos{int32(lx.line), int32(col + 1)}
	lx.off, lx.col = end+1, col+end+1-off
	v := src[off+1 : end]
	if len(v) <= 64 {
		t.set(tStr, start, lx.intern(v))
	} else {
		t.set(tStr, start, string(v))
	}
	return true
}

// Classes of the first byte of a token for fastToken.
const (
	fastOther = iota
	fastName
	fastNewline
	fastPunct // one character, no lookahead: punctKind and punctVal
	fastOp    // an operator that may take more characters: operatorKind
	fastDigit
	fastQuote // " or '
)

// fastClass classifies bytes for fastToken; punctKind and punctVal are the
// tokens of the one-character operators that need no lookahead (as
// operatorKind lexes them).
var fastClass, punctKind, punctVal = func() (cl [256]uint8, kinds [256]tokKind, vals [256]string) {
	for c := 0; c < 128; c++ {
		if isASCIIAlpha(c) {
			cl[c] = fastName
		}
	}
	cl['\n'] = fastNewline
	for _, c := range "<->!=:&|[*" {
		cl[c] = fastOp
	}
	for c := '0'; c <= '9'; c++ {
		cl[c] = fastDigit
	}
	cl['"'], cl['\''] = fastQuote, fastQuote
	for _, c := range "{}()],;?+/^~$@" {
		cl[c] = fastPunct
		lx := lexer{}
		kinds[c], vals[c] = lx.operatorKind(int(c))
	}
	return cl, kinds, vals
}()

// slowToken is token for what fastToken leaves.
func (lx *lexer) slowToken(t *token) error {
	c := lx.skipSpace()
	if c == '#' {
		var err error
		if c, err = lx.skipComment(); err != nil {
			return err
		}
	}
	start := lx.pos()
	if c == eofChar {
		t.set(tEOF, start, "")
		return nil
	}
	if c < 0x80 && isASCIIAlpha(c) && c != 'r' && c != 'R' {
		// The common case first: a name or keyword.
		return lx.symbolValue(t, c, start)
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
			return lx.numericValue(t, c, start)
		}
		var err error
		if c == 'r' || c == 'R' {
			if lx.nextchar('"') {
				*t, err = lx.rawStringValue('"', start)
				return err
			}
			if lx.nextchar('\'') {
				*t, err = lx.rawStringValue('\'', start)
				return err
			}
		}
		switch c {
		case '"', '\'':
			*t, err = lx.stringValue(c, false, start)
			return err
		case '%':
			return lx.specialValue(t, start)
		case '`':
			*t, err = lx.stringValue(c, true, start)
			return err
		}
	}
	if c == '.' {
		return lx.symbolValue(t, c, start)
	}
	if c == '_' {
		lx.placeholder = true
		*t = token{kind: tPlaceholder, pos: start, val: "_"}
		return nil
	}
	if c >= 0x80 {
		if r, _ := lx.lastRune(); isAlpha(r) {
			return lx.symbolValue(t, c, start)
		}
		*t = token{kind: tUndefined, pos: start}
		return nil
	}
	if isASCIIAlpha(c) {
		return lx.symbolValue(t, c, start)
	}
	lx.operator(t, c, start)
	return nil
}
