package rsyntax

// yylex is R's yylex: token() plus the context-sensitive handling of
// newlines. Newlines are dropped inside ( and [, after a token that cannot
// end an expression, and after `function(...)`, `if (...)`, `for (...)`
// and `while (...)` (the parser sets eatLines there). Inside a bracket
// context an `if` pushes an 'i' so that a newline followed by `else`
// continues the if, as in R; at top level it does not.
func (lx *lexer) yylex(tok *token) error {
	for {
		// token's fast path called here, one call less per token
		// (after a false fastToken, token's own call of it returns
		// false at once: it has consumed only blanks).
		if lx.hasSaved || lx.slowOnly || !lx.fastToken(tok) {
			if err := lx.token(tok); err != nil {
				return err
			}
		}
		if tok.kind == tNewline {
			top := lx.ctx[len(lx.ctx)-1]
			if lx.eatLines || top == '[' || top == '(' {
				continue
			}
			if top != 'i' {
				return nil
			}
			// In the body of an if: look past the newlines for an else.
			for tok.kind == tNewline {
				if err := lx.token(tok); err != nil {
					return err
				}
			}
			switch tok.kind {
			case tRBrace, tRParen, tRBracket:
				lx.popIfs()
				lx.pop()
				return nil
			case tComma:
				lx.ifpop()
				return nil
			case tElse:
				lx.eatLines = true
				lx.ifpop()
				return nil
			}
			// Any other token ends the if: hand back the newline now and
			// the token next time. R reports an error on this newline at
			// the position of the token that follows it.
			lx.ifpop()
			lx.saved, lx.hasSaved = *tok, true
			*tok = token{kind: tNewline, pos: lx.saved.pos, val: "\n"}
			return nil
		}
		// Most tokens only set or clear eatLines (see context).
		switch eatAfter[tok.kind] {
		case eatSet:
			lx.eatLines = true
			return nil
		case eatClear:
			lx.eatLines = false
			return nil
		}
		return lx.context(tok)
	}
}

func (lx *lexer) ifpop() {
	if lx.ctx[len(lx.ctx)-1] == 'i' {
		lx.ctx = lx.ctx[:len(lx.ctx)-1]
	}
}

func (lx *lexer) popIfs() {
	for lx.ctx[len(lx.ctx)-1] == 'i' {
		lx.ifpop()
	}
}

// pop drops a bracket context. A stray closing bracket at top level is a
// syntax error the parser reports; the sentinel is never removed.
func (lx *lexer) pop() {
	if len(lx.ctx) > 1 {
		lx.ctx = lx.ctx[:len(lx.ctx)-1]
	}
}

// pushCtx pushes bracket contexts. R's stack is a 50-byte array whose
// overflow check lets one push write past its end (index 50); rwarden
// refuses that push too, since what R does then is undefined behaviour.
// Real code never nests 49 brackets deep.
func (lx *lexer) pushCtx(t *token, cs ...byte) error {
	if len(lx.ctx)-1+len(cs) >= contextStackSize {
		return lx.errorf(t.pos, "contextstack overflow at line %d", t.pos.Line)
	}
	lx.ctx = append(lx.ctx, cs...)
	return nil
}

// context applies yylex's per-token effects on the context stack and on
// eatLines.
func (lx *lexer) context(tok *token) error {
	// Most tokens only set or clear eatLines: a table lookup.
	switch eatAfter[tok.kind] {
	case eatSet:
		lx.eatLines = true
		return nil
	case eatClear:
		lx.eatLines = false
		return nil
	}
	switch tok.kind {
	case tIf:
		switch lx.ctx[len(lx.ctx)-1] {
		case '{', '[', '(', 'i':
			if len(lx.ctx) >= contextStackSize {
				return lx.errorf(tok.pos, "contextstack overflow")
			}
			lx.ctx = append(lx.ctx, 'i')
		}
		lx.eatLines = true
	case tElse:
		lx.ifpop()
		lx.eatLines = true
	case tSemi, tComma:
		lx.ifpop()
	case tLBB:
		return lx.pushCtx(tok, '[', '[')
	case tLBracket:
		return lx.pushCtx(tok, '[')
	case tLBrace:
		lx.eatLines = true
		return lx.pushCtx(tok, '{')
	case tLParen:
		return lx.pushCtx(tok, '(')
	case tRBracket, tRParen:
		lx.popIfs()
		lx.pop()
		lx.eatLines = false
	case tRBrace:
		lx.popIfs()
		lx.pop()
	}
	return nil
}

// What a token does to eatLines when that is all it does.
const (
	eatOther = iota // see context's switch
	eatSet
	eatClear
)

// eatAfter classifies tokens for context: after an operator or a keyword
// that needs an operand newlines are eaten, after an operand they are not.
var eatAfter = func() (t [tNewline + 1]uint8) {
	for _, k := range []tokKind{tPlus, tMinus, tStar, tSlash, tCaret, tLT, tLE, tGE, tGT, tEQ, tNE,
		tOr, tAnd, tOr2, tAnd2, tPipe, tPipeBind, tSpecial, tFunction, tWhile,
		tRepeat, tFor, tIn, tQuestion, tBang, tColon, tTilde, tDollar, tAt,
		tLeftAssign, tRightAssign, tEqAssign} {
		t[k] = eatSet
	}
	for _, k := range []tokKind{tSymbol, tPlaceholder, tStr, tNum, tNull, tNext, tBreak} {
		t[k] = eatClear
	}
	return t
}()
