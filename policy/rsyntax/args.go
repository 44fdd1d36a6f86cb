package rsyntax

import "fmt"

// call parses fn(sublist).
func (p *parser) call(fn Node) (Node, error) {
	open, err := p.expect(tLParen)
	if err != nil {
		return nil, err
	}
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
	return p.newCall(Call{P: fn.Pos(), Fn: fn, Args: args, LParen: open.pos}), nil
}

// index parses x[sublist] and x[[sublist]].
func (p *parser) index(x Node) (Node, error) {
	open, err := p.peek()
	if err != nil {
		return nil, err
	}
	n := &Index{P: x.Pos(), X: x, Double: open.kind == tLBB, Open: open.pos}
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
// out once, to allocate one exact slice per call.
func (p *parser) sublist() ([]Arg, error) {
	base := len(p.args)
	defer func() { p.args = p.args[:base] }()
	for {
		a, err := p.sub()
		if err != nil {
			return nil, err
		}
		p.args = append(p.args, a)
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tComma {
			return p.argSlice(p.args[base:]), nil
		}
		p.lx.eatLines = true // the grammar's cr before ','
		p.advance()
	}
}

func endsArg(k tokKind) bool { return k == tComma || k == tRParen || k == tRBracket }

// sub parses one argument: empty, a value, or name = [value] where the
// name is a symbol, a string or NULL.
func (p *parser) sub() (Arg, error) {
	t, err := p.peek()
	if err != nil {
		return Arg{}, err
	}
	if endsArg(t.kind) {
		return Arg{}, nil
	}
	if t.kind != tSymbol && t.kind != tStr && t.kind != tNull {
		v, err := p.exprOrHelp()
		if err != nil {
			return Arg{}, err
		}
		return Arg{Value: v}, nil
	}
	first := *t
	p.advance()
	if t, err = p.peek(); err != nil {
		return Arg{}, err
	}
	if t.kind == tEqAssign {
		p.advance()
		a := Arg{Name: first.val, HasName: true, NamePos: first.pos}
		if first.kind == tNull {
			a.Name = "NULL"
		}
		if t, err = p.peek(); err != nil {
			return Arg{}, err
		}
		if !endsArg(t.kind) {
			if a.Value, err = p.exprOrHelp(); err != nil {
				return Arg{}, err
			}
		}
		if first.kind == tStr {
			if err := checkName(first.val, first.pos); err != nil {
				return Arg{}, err
			}
		}
		return a, nil
	}
	var left Node
	if first.kind == tNull {
		left = p.newConst(Const{P: first.pos, Name: "NULL"})
	} else if left, err = p.atom(first); err != nil {
		return Arg{}, err
	}
	if left, err = p.exprRest(left, 0); err != nil {
		return Arg{}, err
	}
	if left, err = p.exprOrHelpRest(left); err != nil {
		return Arg{}, err
	}
	return Arg{Value: left}, nil
}
