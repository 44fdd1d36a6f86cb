package rsyntax

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// keywordText returns the keyword spelled by b as a constant string, so
// that a keyword token allocates nothing.
func keywordText(b []byte) string {
	for _, k := range keywords {
		if k == string(b) {
			return k
		}
	}
	return string(b)
}

// keywordShape has, for each first byte of a keyword, a bit per length:
// most names are ruled out without comparing strings.
var keywordShape = func() (t [256]uint32) {
	for _, k := range keywords {
		t[k[0]] |= 1 << len(k)
	}
	return t
}()

var keywords = [...]string{"NULL", "NA", "TRUE", "FALSE", "Inf", "NaN", "NA_integer_", "NA_real_",
	"NA_character_", "NA_complex_", "function", "while", "repeat", "for", "if", "in", "else", "next", "break"}

// keyword looks a name up in gram.y's keyword table; tSymbol if it is
// not a keyword ("..." is a symbol in R's table too).
func keyword(b []byte) tokKind {
	if len(b) == 0 || len(b) > 31 || keywordShape[b[0]]&(1<<len(b)) == 0 {
		return tSymbol
	}
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
func (lx *lexer) symbolValue(t *token, c int, start Pos) error {
	from := lx.off - 1
	if c >= 0x80 {
		// Skip the rest of the first character. Column counting is the
		// reader's: one per character.
		_, n := lx.lastRune()
		for i := 1; i < n; i++ {
			lx.getc()
		}
	}
	// ASCII name characters advance the column by one each and are never
	// a newline or a tab, so the loop needs none of getc's bookkeeping.
	src, off, col := lx.src, lx.off, lx.col
	for {
		run := off
		for off < len(src) && nameByte[src[off]] {
			off++
		}
		col += off - run
		if off >= len(src) || src[off] < 0x80 {
			break
		}
		lx.off, lx.col = off, col
		r, size := utf8.DecodeRune(src[off:])
		if !isAlnum(r) {
			break
		}
		for i := 0; i < size; i++ {
			lx.getc()
		}
		off, col = lx.off, lx.col
	}
	lx.off, lx.col = off, col
	if lx.off-from > maxText {
		return lx.errorf(lx.pos(), "input buffer overflow at line %d", lx.line)
	}
	b := lx.src[from:lx.off]
	if k := keyword(b); k != tSymbol {
		t.set(k, start, keywordText(b))
		t.konst = k == tNum
		return nil
	}
	t.set(tSymbol, start, lx.intern(b))
	return nil
}

// nameByte tells the ASCII bytes that continue a name: letters, digits,
// '.' and '_' (bytes from 0x80 on are decoded apart).
var nameByte = func() (t [256]bool) {
	for c := 0; c < 128; c++ {
		t[c] = c == '.' || c == '_' || isASCIIAlpha(c) || isDigit(c)
	}
	return t
}()

// intern returns a string for b, reusing the string of an earlier equal
// name when it is still in a small 2-way set-associative cache: scripts repeat
// their names, and each new string is an allocation.
func (lx *lexer) intern(b []byte) string {
	// The key: the first and last eight bytes (all of a name of up to
	// 16 bytes, in one or two loads), and the length. It is the hash
	// too (names that differ only in between share a slot, which costs
	// a string, not correctness).
	n := len(b)
	var k nameKey
	k.n = uint64(n)
	switch {
	case n >= 8:
		k.lo, k.hi = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case cap(b) >= 8:
		// The bytes after a short name in the input: one load, masked.
		k.lo = binary.LittleEndian.Uint64(b[:8:8]) & (1<<(8*n) - 1)
	default:
		for i, c := range b {
			k.lo |= uint64(c) << (8 * i)
		}
	}
	x := (k.lo ^ bits.RotateLeft64(k.hi, 29) ^ k.n) * 0x9E3779B97F4A7C15
	// Two slots per hash (a 2-way set): two names that share a hash
	// and alternate in a script do not evict each other. A new name
	// takes the first slot and moves the first one's name to the second.
	i := uint32(x>>40) & uint32(len(lx.names)-1) &^ 1
	set := lx.names[i : i+2 : i+2]
	keys := lx.nameKeys[i : i+2 : i+2]
	// Equal keys are equal names up to 16 bytes; longer names are
	// compared whole.
	if keys[0] == k && (n <= 16 || set[0] == string(b)) { // compared without allocating
		return set[0]
	}
	if keys[1] == k && (n <= 16 || set[1] == string(b)) {
		return set[1]
	}
	set[1], keys[1] = set[0], keys[0]
	set[0], keys[0] = string(b), k
	return set[0]
}

// nameKey is intern's key of a name: its length and its first and last
// eight bytes (little-endian, zero past the end of a shorter name).
type nameKey struct{ lo, hi, n uint64 }
