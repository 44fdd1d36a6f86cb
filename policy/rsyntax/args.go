package rsyntax

import "fmt"

// call parses fn(sublist); the height of fn is in p.h.
func (p *parser) call(fn Node) (Node, error) {
	hf := p.h
	open, err := p.expect(tLParen)
	if err != nil {
		return nil, err
	}
	lparen := open.pos
	args, err := p.sublist()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	// f() has no arguments, although the grammar sees one empty one.
	if len(args) == 1 && args[0].Value == nil && !args[0].HasName {
		args = nil
	}
	// "f"(x) calls the symbol f (xxfuncall).
	if s, ok := fn.(*String); ok {
		if err := checkName(s.Value, s.P); err != nil {
			return nil, err
		}
		fn = p.newSymbol(Symbol{P: s.P, Name: s.Value, FromString: true})
	}
	p.h = 1 + max(hf, p.h) // p.h: the highest argument's, from sublist
	c := p.newCall(Call{P: fn.Pos(), Fn: fn, Args: args, LParen: lparen})
	if s, ok := fn.(*Symbol); !ok || isBindingFunction(s.Name) {
		p.binders.Nodes = append(p.binders.Nodes, c)
	}
	return c, nil
}

// index parses x[sublist] and x[[sublist]]; the height of x is in p.h.
func (p *parser) index(x Node) (Node, error) {
	hx := p.h
	open, err := p.peek()
	if err != nil {
		return nil, err
	}
	n := p.slabs.indexes.alloc(Index{P: x.Pos(), X: x, Double: open.kind == tLBB, Open: open.pos})
	p.advance()
	if n.Args, err = p.sublist(); err != nil {
		return nil, err
	}
	if _, err := p.expect(tRBracket); err != nil {
		return nil, err
	}
	if n.Double {
		if _, err := p.expect(tRBracket); err != nil {
			return nil, err
		}
	}
	p.h = 1 + max(hx, p.h)
	return n, nil
}

// checkName applies install()'s checks to a name made from a string.
func checkName(name string, pos Pos) error {
	if name == "" {
		return &SyntaxError{Pos: pos, Msg: "attempt to use zero-length variable name"}
	}
	if len(name) > maxIDSize {
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("variable names are limited to %d bytes", maxIDSize)}
	}
	return nil
}

// sublist parses the arguments of a call or index, separated by commas.
// Arguments are collected on a stack shared by nested calls and copied
// out once, to allocate one exact slice per call. p.h is set to the
// height of the highest argument (0 if all are empty).
func (p *parser) sublist() ([]Arg, error) {
	base := len(p.args)
	defer func() { p.args = p.args[:base] }()
	h := 0
	for {
		var a Arg
		if err := p.sub(&a); err != nil {
			return nil, err
		}
		if a.Value != nil {
			h = max(h, p.h)
		}
		// Field by field: sub has just written a field by field, and
		// copying it whole (wider loads over narrower stores) stalled.
		p.args = append(p.args, Arg{})
		d := &p.args[len(p.args)-1]
		d.Name, d.HasName, d.NamePos, d.Value = a.Name, a.HasName, a.NamePos, a.Value
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tComma {
			p.h = h
			return p.argSlice(p.args[base:]), nil
		}
		p.lx.eatLines = true // the grammar's cr before ','
		p.advance()
	}
}

func endsArg(k tokKind) bool { return k == tComma || k == tRParen || k == tRBracket }

// sub parses one argument: empty, a value, or name = [value] where the
// name is a symbol, a string or NULL.
// It writes the argument into a, which is zero, and the height of its
// value into p.h when it has one: an Arg does not fit in
// registers, and returning it was a noticeable copy per argument.
func (p *parser) sub(a *Arg) error {
	t, err := p.peek()
	if err != nil {
		return err
	}
	if endsArg(t.kind) {
		return nil
	}
	if t.kind != tSymbol && t.kind != tStr && t.kind != tNull {
		v, err := p.exprOrHelp()
		if err != nil {
			return err
		}
		a.Value = v
		return nil
	}
	// The first token's fields are copied one by one: copying the token
	// whole right after the lexer wrote it stalls the processor.
	firstKind, firstPos, firstVal, firstQuoted := t.kind, t.pos, t.val, t.quoted
	p.advance()
	if t, err = p.peek(); err != nil {
		return err
	}
	if t.kind == tEqAssign {
		p.advance()
		a.Name, a.HasName, a.NamePos = firstVal, true, firstPos
		if firstKind == tNull {
			a.Name = "NULL"
		}
		if t, err = p.peek(); err != nil {
			return err
		}
		if !endsArg(t.kind) {
			if a.Value, err = p.exprOrHelp(); err != nil {
				return err
			}
		}
		if firstKind == tStr {
			if err := checkName(firstVal, firstPos); err != nil {
				return err
			}
		}
		return nil
	}
	var left Node
	if firstKind == tNull {
		left = p.newConst(Const{P: firstPos, Name: "NULL"})
		p.h = 1
	} else if left, err = p.atom(firstKind, firstPos, firstVal, firstQuoted); err != nil {
		return err
	}
	if left, err = p.exprRest(left, 0); err != nil {
		return err
	}
	if left, err = p.exprOrHelpRest(left); err != nil {
		return err
	}
	a.Value = left
	return nil
}
