package rsyntax

import "unicode/utf8"

// keyword looks a name up in gram.y's keyword table; tSymbol if it is
// not a keyword ("..." is a symbol in R's table too).
func keyword(b []byte) tokKind {
	switch string(b) { // compiled to a search without allocating
	case "NULL":
		return tNull
	case "NA", "TRUE", "FALSE", "Inf", "NaN", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_":
		return tNum
	case "function":
		return tFunction
	case "while":
		return tWhile
	case "repeat":
		return tRepeat
	case "for":
		return tFor
	case "if":
		return tIf
	case "in":
		return tIn
	case "else":
		return tElse
	case "next":
		return tNext
	case "break":
		return tBreak
	}
	return tSymbol
}

// symbolValue is R's SymbolValue: c (already read) starts a name, which
// continues with '.', '_' and what iswalnum accepts. The name is exactly
// the bytes read, so it is sliced from the input rather than copied byte
// by byte as R does into yytext.
func (lx *lexer) symbolValue(c int, start Pos) (token, error) {
	from := lx.off - 1
	n := 1
	if c >= 0x80 {
		_, n = lx.lastRune()
	}
	// Skip the rest of the first character, then the others. Column
	// counting is the reader's: one per character.
	for i := 1; i < n; i++ {
		lx.getc()
	}
	for {
		if lx.off < len(lx.src) {
			if b := lx.src[lx.off]; b < 0x80 {
				if b == '.' || b == '_' || isASCIIAlpha(int(b)) || isDigit(int(b)) {
					lx.prev = rstate{lx.off, lx.line, lx.col}
					lx.off++
					lx.col++
					continue
				}
				break
			}
			r, size := utf8.DecodeRune(lx.src[lx.off:])
			if !isAlnum(r) {
				break
			}
			for i := 0; i < size; i++ {
				lx.getc()
			}
			continue
		}
		break
	}
	if lx.off-from > maxText {
		return token{}, lx.errorf(lx.pos(), "input buffer overflow at line %d", lx.line)
	}
	b := lx.src[from:lx.off]
	if k := keyword(b); k != tSymbol {
		return token{kind: k, pos: start, val: string(b), konst: k == tNum}, nil
	}
	return token{kind: tSymbol, pos: start, val: lx.intern(b)}, nil
}

// intern returns a string for b, reusing the string of an earlier equal
// name when it is still in a small direct-mapped cache: scripts repeat
// their names, and each new string is an allocation.
func (lx *lexer) intern(b []byte) string {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &lx.names[h%uint32(len(lx.names))]
	if *slot != string(b) { // compared without allocating
		*slot = string(b)
	}
	return *slot
}
