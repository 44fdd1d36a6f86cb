package rsyntax

import "fmt"

// exprOrAssign is gram.y's expr_or_assign_or_help at a minimum precedence:
// expressions joined by '=' (right-associative) and binary '?' (lowest).
func (p *parser) exprOrAssign(minPrec int) (Node, error) {
	left, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	return p.exprOrAssignRest(left, minPrec)
}

func (p *parser) exprOrAssignRest(left Node, minPrec int) (Node, error) {
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		var right Node
		switch {
		case t.kind == tEqAssign && precEqAsgn >= minPrec:
			op := *t
			p.advance()
			if right, err = p.exprOrAssign(precEqAsgn); err != nil {
				return nil, err
			}
			left = p.newBinary(Binary{P: left.Pos(), Op: "=", OpPos: op.pos, X: left, Y: right})
		case t.kind == tQuestion && precHelp >= minPrec:
			op := *t
			p.advance()
			if right, err = p.exprOrAssign(precHelp + 1); err != nil {
				return nil, err
			}
			left = p.newBinary(Binary{P: left.Pos(), Op: "?", OpPos: op.pos, X: left, Y: right})
		default:
			return left, nil
		}
	}
}

// exprOrHelp is gram.y's expr_or_help: expressions joined by binary '?',
// used for arguments, conditions and default values (no '=' there).
func (p *parser) exprOrHelp() (Node, error) {
	left, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	return p.exprOrHelpRest(left)
}

func (p *parser) exprOrHelpRest(left Node) (Node, error) {
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tQuestion {
			return left, nil
		}
		op := *t
		p.advance()
		right, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		left = p.newBinary(Binary{P: left.Pos(), Op: "?", OpPos: op.pos, X: left, Y: right})
	}
}

// expr parses gram.y's expr with binary operators of precedence >= minPrec.
func (p *parser) expr(minPrec int) (Node, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	return p.exprRest(left, minPrec)
}

// exprRest continues an expression after its first operand: postfix calls
// and indexing, $ and @, and binary operators by precedence climbing.
func (p *parser) exprRest(left Node, minPrec int) (Node, error) {
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tLParen:
			if left, err = p.call(left); err != nil {
				return nil, err
			}
			continue
		case tLBracket, tLBB:
			if left, err = p.index(left); err != nil {
				return nil, err
			}
			continue
		case tDollar, tAt:
			if precDollar < minPrec {
				return left, nil
			}
			op := *t
			p.advance()
			m, err := p.peek()
			if err != nil {
				return nil, err
			}
			var member Node
			switch m.kind {
			case tSymbol:
				member = p.newSymbol(Symbol{P: m.pos, Name: m.val, Quoted: m.quoted})
			case tStr:
				member = p.newString(String{P: m.pos, Value: m.val, Raw: m.quoted})
			default:
				return nil, unexpected(m)
			}
			p.advance()
			left = p.newBinary(Binary{P: left.Pos(), Op: op.val, OpPos: op.pos, X: left, Y: member})
			continue
		}
		q := binaryPrec(t.kind)
		if q == 0 || q < minPrec {
			return left, nil
		}
		op := *t
		p.advance()
		next := q + 1
		if rightAssoc(op.kind) {
			next = q
		}
		right, err := p.expr(next)
		if err != nil {
			return nil, err
		}
		if left, err = p.binary(op, left, right); err != nil {
			return nil, err
		}
		if q == precCompare {
			// Comparisons are %nonassoc: a == b == c is a syntax error.
			if t, err = p.peek(); err != nil {
				return nil, err
			}
			if binaryPrec(t.kind) == precCompare {
				return nil, unexpected(t)
			}
		}
	}
}

// binary builds the call for an infix operator, applying R's rewrites.
func (p *parser) binary(op token, left, right Node) (Node, error) {
	switch op.kind {
	case tRightAssign:
		return p.newBinary(Binary{P: left.Pos(), Op: op.val, OpPos: op.pos, X: right, Y: left, Rightward: true}), nil
	case tPipe:
		return pipe(left, right, p.lx.placeholder)
	case tPipeBind:
		return nil, &SyntaxError{Pos: op.pos, Msg: "'=>' is disabled; set '_R_USE_PIPEBIND_' envvar to a true value to enable it"}
	}
	return p.newBinary(Binary{P: left.Pos(), Op: op.val, OpPos: op.pos, X: left, Y: right}), nil
}

// operand parses what can start an expr: constants, names, prefix
// operators, brackets and the keyword constructs.
func (p *parser) operand() (Node, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if p.depth >= p.maxDepth {
		return nil, &LimitError{Pos: t.pos, Msg: fmt.Sprintf("expression nested deeper than %d", p.maxDepth)}
	}
	p.depth++
	n, err := p.operandAt(t)
	p.depth--
	return n, err
}

// operandAt is operand after the depth check; t is the lookahead.
func (p *parser) operandAt(t *token) (Node, error) {
	var err error
	tok := *t
	switch tok.kind {
	case tMinus, tPlus, tBang, tTilde, tQuestion:
		p.advance()
		var x Node
		switch tok.kind {
		case tQuestion:
			x, err = p.exprOrAssign(precHelp + 1)
		case tBang:
			x, err = p.expr(precNot + 1)
		case tTilde:
			x, err = p.expr(precTilde + 1)
		default:
			x, err = p.expr(precUnary + 1)
		}
		if err != nil {
			return nil, err
		}
		return &Unary{P: tok.pos, Op: tok.val, X: x}, nil
	case tNum:
		p.advance()
		if tok.konst {
			return p.newConst(Const{P: tok.pos, Name: tok.val}), nil
		}
		return p.newNum(Num{P: tok.pos, Text: tok.val, Type: tok.num}), nil
	case tNull:
		p.advance()
		return p.newConst(Const{P: tok.pos, Name: "NULL"}), nil
	case tPlaceholder:
		p.advance()
		return &Placeholder{P: tok.pos}, nil
	case tSymbol, tStr:
		p.advance()
		return p.atom(tok)
	case tLBrace:
		return p.block()
	case tLParen:
		p.advance()
		x, err := p.exprOrAssign(0)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return &Paren{P: tok.pos, X: x}, nil
	case tFunction, tLambda:
		return p.function()
	case tIf:
		return p.ifExpr()
	case tFor:
		return p.forExpr()
	case tWhile:
		return p.whileExpr()
	case tRepeat:
		p.advance()
		body, err := p.exprOrAssign(precLow + 1)
		if err != nil {
			return nil, err
		}
		return &Repeat{P: tok.pos, Body: body}, nil
	case tBreak:
		p.advance()
		return &Break{P: tok.pos}, nil
	case tNext:
		p.advance()
		return &Next{P: tok.pos}, nil
	}
	return nil, unexpected(&tok)
}

// atom finishes a name or string that has been consumed: it may be the
// package side of pkg::name or pkg:::name.
func (p *parser) atom(tok token) (Node, error) {
	var left Node
	if tok.kind == tSymbol {
		left = p.newSymbol(Symbol{P: tok.pos, Name: tok.val, Quoted: tok.quoted})
	} else {
		left = p.newString(String{P: tok.pos, Value: tok.val, Raw: tok.quoted})
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tNsGet && t.kind != tNsGetInt {
		return left, nil
	}
	op := *t
	p.advance()
	m, err := p.peek()
	if err != nil {
		return nil, err
	}
	var right Node
	switch m.kind {
	case tSymbol:
		right = p.newSymbol(Symbol{P: m.pos, Name: m.val, Quoted: m.quoted})
	case tStr:
		right = p.newString(String{P: m.pos, Value: m.val, Raw: m.quoted})
	default:
		return nil, unexpected(m)
	}
	p.advance()
	return p.newBinary(Binary{P: tok.pos, Op: op.val, OpPos: op.pos, X: left, Y: right}), nil
}
