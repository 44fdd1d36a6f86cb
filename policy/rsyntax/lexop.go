package rsyntax

// next consumes the next byte if it is expect. expect is ASCII and neither
// a newline nor a tab, so consuming it advances the column by one: this is
// R's nextchar without getc's bookkeeping.
func (lx *lexer) next(expect byte) bool {
	if lx.off < len(lx.src) && lx.src[lx.off] == expect {
		lx.off++
		lx.col++
		return true
	}
	return false
}

// operator lexes the punctuation tokens of token() into t.
func (lx *lexer) operator(t *token, c int, start Pos) {
	k, val := lx.operatorKind(c)
	t.set(k, start, val)
}

// operatorKind reads the rest of the operator c starts and returns its
// token kind and the R function it calls.
func (lx *lexer) operatorKind(c int) (tokKind, string) {
	op := func(k tokKind, val string) (tokKind, string) { return k, val }
	switch c {
	case '<':
		if lx.next('=') {
			return op(tLE, "<=")
		}
		if lx.next('-') {
			return op(tLeftAssign, "<-")
		}
		if lx.next('<') {
			if lx.next('-') {
				return op(tLeftAssign, "<<-")
			}
			return tError, ""
		}
		return op(tLT, "<")
	case '-':
		if lx.next('>') {
			if lx.next('>') {
				return tRightAssign, "<<-"
			}
			return tRightAssign, "<-"
		}
		return op(tMinus, "-")
	case '>':
		if lx.next('=') {
			return op(tGE, ">=")
		}
		return op(tGT, ">")
	case '!':
		if lx.next('=') {
			return op(tNE, "!=")
		}
		return op(tBang, "!")
	case '=':
		if lx.next('=') {
			return op(tEQ, "==")
		}
		if lx.next('>') {
			return op(tPipeBind, "=>")
		}
		return op(tEqAssign, "=")
	case ':':
		if lx.next(':') {
			if lx.next(':') {
				return op(tNsGetInt, ":::")
			}
			return op(tNsGet, "::")
		}
		if lx.next('=') {
			return op(tLeftAssign, ":=")
		}
		return op(tColon, ":")
	case '&':
		if lx.next('&') {
			return op(tAnd2, "&&")
		}
		return op(tAnd, "&")
	case '|':
		if lx.next('|') {
			return op(tOr2, "||")
		}
		if lx.next('>') {
			return op(tPipe, "|>")
		}
		return op(tOr, "|")
	case '{':
		return op(tLBrace, "{")
	case '}':
		return op(tRBrace, "}")
	case '(':
		return op(tLParen, "(")
	case ')':
		return op(tRParen, ")")
	case '[':
		if lx.next('[') {
			return op(tLBB, "[[")
		}
		return op(tLBracket, "[")
	case ']':
		return op(tRBracket, "]")
	case '?':
		return op(tQuestion, "?")
	case '*':
		// R has read ** as ^ since 1998 (S compatibility).
		if lx.next('*') {
			return tCaret, "^"
		}
		return op(tStar, "*")
	case '+':
		return op(tPlus, "+")
	case '/':
		return op(tSlash, "/")
	case '^':
		return op(tCaret, "^")
	case '~':
		return op(tTilde, "~")
	case '$':
		return op(tDollar, "$")
	case '@':
		return op(tAt, "@")
	case '\\':
		return op(tLambda, `\`)
	case ',':
		return op(tComma, ",")
	case ';':
		return op(tSemi, ";")
	case '\n':
		return op(tNewline, "\n")
	}
	return tUndefined, ""
}
