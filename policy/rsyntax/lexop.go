package rsyntax

// operator lexes the punctuation tokens of token().
func (lx *lexer) operator(c int, start Pos) token {
	op := func(k tokKind, val string) token { return token{kind: k, pos: start, val: val} }
	switch c {
	case '<':
		if lx.nextchar('=') {
			return op(tLE, "<=")
		}
		if lx.nextchar('-') {
			return op(tLeftAssign, "<-")
		}
		if lx.nextchar('<') {
			if lx.nextchar('-') {
				return op(tLeftAssign, "<<-")
			}
			return token{kind: tError, pos: start}
		}
		return op(tLT, "<")
	case '-':
		if lx.nextchar('>') {
			if lx.nextchar('>') {
				return token{kind: tRightAssign, pos: start, val: "<<-"}
			}
			return token{kind: tRightAssign, pos: start, val: "<-"}
		}
		return op(tMinus, "-")
	case '>':
		if lx.nextchar('=') {
			return op(tGE, ">=")
		}
		return op(tGT, ">")
	case '!':
		if lx.nextchar('=') {
			return op(tNE, "!=")
		}
		return op(tBang, "!")
	case '=':
		if lx.nextchar('=') {
			return op(tEQ, "==")
		}
		if lx.nextchar('>') {
			return op(tPipeBind, "=>")
		}
		return op(tEqAssign, "=")
	case ':':
		if lx.nextchar(':') {
			if lx.nextchar(':') {
				return op(tNsGetInt, ":::")
			}
			return op(tNsGet, "::")
		}
		if lx.nextchar('=') {
			return op(tLeftAssign, ":=")
		}
		return op(tColon, ":")
	case '&':
		if lx.nextchar('&') {
			return op(tAnd2, "&&")
		}
		return op(tAnd, "&")
	case '|':
		if lx.nextchar('|') {
			return op(tOr2, "||")
		}
		if lx.nextchar('>') {
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
		if lx.nextchar('[') {
			return op(tLBB, "[[")
		}
		return op(tLBracket, "[")
	case ']':
		return op(tRBracket, "]")
	case '?':
		return op(tQuestion, "?")
	case '*':
		// R has read ** as ^ since 1998 (S compatibility).
		if lx.nextchar('*') {
			return token{kind: tCaret, pos: start, val: "^"}
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
	return token{kind: tUndefined, pos: start}
}
