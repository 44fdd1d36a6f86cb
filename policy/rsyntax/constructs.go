package rsyntax

import "fmt"

// block parses { exprlist }.
func (p *parser) block() (Node, error) {
	open, err := p.expect(tLBrace)
	if err != nil {
		return nil, err
	}
	b := p.slabs.blocks.alloc(Block{P: open.pos})
	// The expressions are collected on a stack shared by nested blocks
	// and copied out once, like arguments.
	base := len(p.exprs)
	defer func() { p.exprs = p.exprs[:base] }()
	h := 0
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tRBrace:
			b.Close = t.pos
			b.Exprs = p.nodeSlice(p.exprs[base:])
			p.advance()
			p.lx.eatLines = false // xxexprlist
			p.h = 1 + h
			return b, nil
		case tSemi, tNewline:
			p.advance()
			continue
		}
		e, err := p.exprOrAssign(0)
		if err != nil {
			return nil, err
		}
		h = max(h, p.h)
		p.exprs = append(p.exprs, e)
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
	n := p.slabs.ifs.alloc(If{P: kw.pos})
	if n.Cond, err = p.cond(); err != nil {
		return nil, err
	}
	h := p.h
	if n.Then, err = p.exprOrAssign(precIf); err != nil {
		return nil, err
	}
	h = max(h, p.h)
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tElse {
		p.advance()
		if n.Else, err = p.exprOrAssign(precElse); err != nil {
			return nil, err
		}
		h = max(h, p.h)
	}
	p.h = 1 + h
	return n, nil
}

// forExpr parses for (name in seq) body.
func (p *parser) forExpr() (Node, error) {
	kw, err := p.expect(tFor)
	if err != nil {
		return nil, err
	}
	forPos := kw.pos
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	v, err := p.expect(tSymbol)
	if err != nil {
		return nil, err
	}
	vr := p.newSymbol(Symbol{P: v.pos, Name: v.val, Quoted: v.quoted})
	if _, err := p.expect(tIn); err != nil {
		return nil, err
	}
	seq, err := p.exprOrHelp()
	if err != nil {
		return nil, err
	}
	h := max(1, p.h) // the variable, the sequence
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	p.lx.eatLines = true // xxforcond
	body, err := p.exprOrAssign(precLow + 1)
	if err != nil {
		return nil, err
	}
	p.h = 1 + max(h, p.h)
	return p.newFor(For{P: forPos, Var: vr, Seq: seq, Body: body}), nil
}

// whileExpr parses while (cond) body.
func (p *parser) whileExpr() (Node, error) {
	kw, err := p.expect(tWhile)
	if err != nil {
		return nil, err
	}
	whilePos := kw.pos
	c, err := p.cond()
	if err != nil {
		return nil, err
	}
	h := p.h
	body, err := p.exprOrAssign(precLow + 1)
	if err != nil {
		return nil, err
	}
	p.h = 1 + max(h, p.h)
	return p.slabs.whiles.alloc(While{P: whilePos, Cond: c, Body: body}), nil
}

// function parses function(formals) body and \(formals) body.
func (p *parser) function() (Node, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	fn := p.newFunction(Function{P: t.pos, Lambda: t.kind == tLambda})
	// The formals are collected on a stack shared by nested functions
	// (in default values) and copied out once.
	base := len(p.formals)
	defer func() { p.formals = p.formals[:base] }()
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
	h := 0 // the highest formal: its name, or its default value
	var seen map[string]bool
	if first != tRParen {
		for {
			name, err := p.expect(tSymbol)
			if err != nil {
				return nil, err
			}
			namePos, nameVal := name.pos, name.val
			prm := p.slabs.params.alloc(Param{Name: p.newSymbol(Symbol{P: namePos, Name: nameVal, Quoted: name.quoted})})
			if t, err = p.peek(); err != nil {
				return nil, err
			}
			h = max(h, 1)
			if t.kind == tEqAssign {
				p.advance()
				if prm.Default, err = p.exprOrHelp(); err != nil {
					return nil, err
				}
				h = max(h, p.h)
			}
			// CheckFormalArgs runs when the formal is reduced, i.e. once
			// its lookahead has been read, and not for the first formal.
			if emptyFirst {
				return nil, &SyntaxError{Pos: namePos, Msg: "bad value"}
			}
			if p.repeatedFormal(p.formals[base:], nameVal, &seen) {
				return nil, &SyntaxError{Pos: namePos, Msg: fmt.Sprintf("repeated formal argument '%s' on line %d", nameVal, namePos.Line)}
			}
			p.formals = append(p.formals, prm)
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
	fn.Params = p.paramSlice(p.formals[base:])
	p.lx.eatLines = true // the grammar's cr
	if fn.Body, err = p.exprOrAssign(precLow + 1); err != nil {
		return nil, err
	}
	p.h = 1 + max(h, p.h)
	return fn, nil
}

// repeatedFormal reports whether name is among the formals before it.
// Past a few dozen formals they are kept in seen, so that a hostile list
// of a hundred thousand formals is not compared pairwise.
func (p *parser) repeatedFormal(before []*Param, name string, seen *map[string]bool) bool {
	const linear = 32
	if len(before) < linear {
		for _, q := range before {
			if q.Name.Name == name {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*linear)
		for _, q := range before {
			(*seen)[q.Name.Name] = true
		}
	}
	if (*seen)[name] {
		return true
	}
	(*seen)[name] = true
	return false
}
