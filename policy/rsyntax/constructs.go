package rsyntax

import "fmt"

// block parses { exprlist }.
func (p *parser) block() (Node, error) {
	open, err := p.expect(tLBrace)
	if err != nil {
		return nil, err
	}
	b := &Block{P: open.pos}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tRBrace:
			b.Close = t.pos
			p.advance()
			p.lx.eatLines = false // xxexprlist
			return b, nil
		case tSemi, tNewline:
			p.advance()
			continue
		}
		e, err := p.exprOrAssign(0)
		if err != nil {
			return nil, err
		}
		b.Exprs = append(b.Exprs, e)
		if t, err = p.peek(); err != nil {
			return nil, err
		}
		switch t.kind {
		case tRBrace, tSemi, tNewline:
		default:
			return nil, unexpected(t)
		}
	}
}

// cond parses ( expr_or_help ) after if or while; R then drops the
// newlines before the body.
func (p *parser) cond() (Node, error) {
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	c, err := p.exprOrHelp()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	p.lx.eatLines = true // xxcond / xxifcond
	return c, nil
}

// ifExpr parses if (cond) body [else body]. Inside brackets the lexer
// has already dropped a newline before else.
func (p *parser) ifExpr() (Node, error) {
	kw, err := p.expect(tIf)
	if err != nil {
		return nil, err
	}
	n := &If{P: kw.pos}
	if n.Cond, err = p.cond(); err != nil {
		return nil, err
	}
	if n.Then, err = p.exprOrAssign(precIf); err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tElse {
		p.advance()
		if n.Else, err = p.exprOrAssign(precElse); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// forExpr parses for (name in seq) body.
func (p *parser) forExpr() (Node, error) {
	kw, err := p.expect(tFor)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	v, err := p.expect(tSymbol)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tIn); err != nil {
		return nil, err
	}
	seq, err := p.exprOrHelp()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	p.lx.eatLines = true // xxforcond
	body, err := p.exprOrAssign(precLow + 1)
	if err != nil {
		return nil, err
	}
	return &For{P: kw.pos, Var: p.newSymbol(Symbol{P: v.pos, Name: v.val, Quoted: v.quoted}), Seq: seq, Body: body}, nil
}

// whileExpr parses while (cond) body.
func (p *parser) whileExpr() (Node, error) {
	kw, err := p.expect(tWhile)
	if err != nil {
		return nil, err
	}
	c, err := p.cond()
	if err != nil {
		return nil, err
	}
	body, err := p.exprOrAssign(precLow + 1)
	if err != nil {
		return nil, err
	}
	return &While{P: kw.pos, Cond: c, Body: body}, nil
}

// function parses function(formals) body and \(formals) body.
func (p *parser) function() (Node, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	fn := &Function{P: t.pos, Lambda: t.kind == tLambda}
	p.advance()
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	if t, err = p.peek(); err != nil {
		return nil, err
	}
	// The grammar allows an empty formlist before a comma, but R then
	// fails when it appends to it ("bad value").
	first := t.kind
	emptyFirst := first == tComma
	if first == tRParen || first == tComma {
		p.advance()
	}
	if first != tRParen {
		for {
			name, err := p.expect(tSymbol)
			if err != nil {
				return nil, err
			}
			prm := &Param{Name: p.newSymbol(Symbol{P: name.pos, Name: name.val, Quoted: name.quoted})}
			if t, err = p.peek(); err != nil {
				return nil, err
			}
			if t.kind == tEqAssign {
				p.advance()
				if prm.Default, err = p.exprOrHelp(); err != nil {
					return nil, err
				}
			}
			// CheckFormalArgs runs when the formal is reduced, i.e. once
			// its lookahead has been read, and not for the first formal.
			if emptyFirst {
				return nil, &SyntaxError{Pos: name.pos, Msg: "bad value"}
			}
			if len(fn.Params) > 0 {
				for _, q := range fn.Params {
					if q.Name.Name == prm.Name.Name {
						return nil, &SyntaxError{Pos: name.pos, Msg: fmt.Sprintf("repeated formal argument '%s' on line %d", name.val, name.pos.Line)}
					}
				}
			}
			fn.Params = append(fn.Params, prm)
			if t, err = p.peek(); err != nil {
				return nil, err
			}
			if t.kind == tComma {
				p.advance()
				continue
			}
			if t.kind != tRParen {
				return nil, unexpected(t)
			}
			p.advance()
			break
		}
	}
	p.lx.eatLines = true // the grammar's cr
	if fn.Body, err = p.exprOrAssign(precLow + 1); err != nil {
		return nil, err
	}
	return fn, nil
}
