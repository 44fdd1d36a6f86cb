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

// exprOrAssignRest continues after left, whose height is in p.h.
func (p *parser) exprOrAssignRest(left Node, minPrec int) (Node, error) {
	hl := p.h
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		var right Node
		switch {
		case t.kind == tEqAssign && precEqAsgn >= minPrec:
			opPos := t.pos
			p.advance()
			if right, err = p.exprOrAssign(precEqAsgn); err != nil {
				return nil, err
			}
			left = p.newAssign(Binary{P: left.Pos(), Op: "=", OpPos: opPos, X: left, Y: right})
			hl = 1 + max(hl, p.h)
		case t.kind == tQuestion && precHelp >= minPrec:
			opPos := t.pos
			p.advance()
			if right, err = p.exprOrAssign(precHelp + 1); err != nil {
				return nil, err
			}
			left = p.newBinary(Binary{P: left.Pos(), Op: "?", OpPos: opPos, X: left, Y: right})
			hl = 1 + max(hl, p.h)
		default:
			p.h = hl
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

// exprOrHelpRest continues after left, whose height is in p.h.
func (p *parser) exprOrHelpRest(left Node) (Node, error) {
	hl := p.h
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tQuestion {
			p.h = hl
			return left, nil
		}
		opPos := t.pos
		p.advance()
		right, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		left = p.newBinary(Binary{P: left.Pos(), Op: "?", OpPos: opPos, X: left, Y: right})
		hl = 1 + max(hl, p.h)
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
// The height of left is in p.h, and stays the height of left throughout.
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
			opPos, opVal := t.pos, t.val
			p.advance()
			member, err := p.nameOperand()
			if err != nil {
				return nil, err
			}
			left = p.newBinary(Binary{P: left.Pos(), Op: opVal, OpPos: opPos, X: left, Y: member})
			p.h = 1 + max(p.h, 1)
			continue
		}
		q := binaryPrec(t.kind)
		if q == 0 || q < minPrec {
			return left, nil
		}
		opKind, opPos, opVal := t.kind, t.pos, t.val
		p.advance()
		next := q + 1
		if rightAssoc(opKind) {
			next = q
		}
		hl := p.h
		right, err := p.expr(next)
		if err != nil {
			return nil, err
		}
		if left, err = p.binary(opKind, opPos, opVal, left, right, hl, p.h); err != nil {
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
// hl and hr are the heights of left and right; p.h is set to the result's.
func (p *parser) binary(kind tokKind, pos Pos, op string, left, right Node, hl, hr int) (Node, error) {
	p.h = 1 + max(hl, hr)
	switch kind {
	case tRightAssign:
		// -> and ->> are built as <- and <<-.
		return p.newAssign(Binary{P: left.Pos(), Op: op, OpPos: pos, X: right, Y: left, Rightward: true}), nil
	case tPipe:
		// left becomes an argument of right (or replaces a placeholder
		// there): at most one level below right's top.
		p.h = max(hr, 1+hl)
		return pipe(left, right, p.lx.placeholder, &p.slabs.args)
	case tPipeBind:
		return nil, &SyntaxError{Pos: pos, Msg: "'=>' is disabled; set '_R_USE_PIPEBIND_' envvar to a true value to enable it"}
	}
	if kind == tLeftAssign || kind == tEqAssign {
		return p.newAssign(Binary{P: left.Pos(), Op: op, OpPos: pos, X: left, Y: right}), nil
	}
	return p.newBinary(Binary{P: left.Pos(), Op: op, OpPos: pos, X: left, Y: right}), nil
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
	// The lookahead is overwritten by the next peek; keep what is needed,
	// field by field (see sub).
	kind, pos := t.kind, t.pos
	switch kind {
	case tMinus, tPlus, tBang, tTilde, tQuestion:
		p.advance()
		var x Node
		op := t.val
		switch kind {
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
		p.h++
		return p.slabs.unaries.alloc(Unary{P: pos, Op: op, X: x}), nil
	case tNum:
		p.advance()
		p.h = 1
		if t.konst {
			return p.newConst(Const{P: pos, Name: t.val}), nil
		}
		return p.newNum(Num{P: pos, Text: t.val, Type: t.num}), nil
	case tNull:
		p.advance()
		p.h = 1
		return p.newConst(Const{P: pos, Name: "NULL"}), nil
	case tPlaceholder:
		p.advance()
		p.h = 1
		return p.slabs.holders.alloc(Placeholder{P: pos}), nil
	case tSymbol, tStr:
		p.advance()
		return p.atom(kind, pos, t.val, t.quoted)
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
		p.h++
		return p.slabs.parens.alloc(Paren{P: pos, X: x}), nil
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
		p.h++
		return p.slabs.repeats.alloc(Repeat{P: pos, Body: body}), nil
	case tBreak:
		p.advance()
		p.h = 1
		return p.slabs.breaks.alloc(Break{P: pos}), nil
	case tNext:
		p.advance()
		p.h = 1
		return p.slabs.nexts.alloc(Next{P: pos}), nil
	}
	return nil, unexpected(t)
}

// atom finishes a name or string that has been consumed: it may be the
// package side of pkg::name or pkg:::name.
func (p *parser) atom(kind tokKind, pos Pos, val string, quoted bool) (Node, error) {
	left := p.nameNode(kind, pos, val, quoted)
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tNsGet && t.kind != tNsGetInt {
		p.h = 1
		return left, nil
	}
	opPos, opVal := t.pos, t.val
	p.advance()
	right, err := p.nameOperand()
	if err != nil {
		return nil, err
	}
	p.h = 2
	return p.newBinary(Binary{P: pos, Op: opVal, OpPos: opPos, X: left, Y: right}), nil
}

// nameNode makes the node of a symbol or string token.
// Every *Symbol and *String of a tree but formal names and for variables
// is made here or from a *String made here ("f"(x)), so it notes
// File.Binders.Unbinds.
func (p *parser) nameNode(kind tokKind, pos Pos, val string, quoted bool) Node {
	if isUnbinder(val) {
		p.binders.Unbinds = true
	}
	if kind == tSymbol {
		return p.newSymbol(Symbol{P: pos, Name: val, Quoted: quoted})
	}
	return p.newString(String{P: pos, Value: val, Raw: quoted})
}

// nameOperand reads the right operand of $, @, :: and :::, which R's
// grammar restricts to a symbol or a string.
func (p *parser) nameOperand() (Node, error) {
	m, err := p.peek()
	if err != nil {
		return nil, err
	}
	if m.kind != tSymbol && m.kind != tStr {
		return nil, unexpected(m)
	}
	n := p.nameNode(m.kind, m.pos, m.val, m.quoted)
	p.advance()
	return n, nil
}
