package rsyntax

// specialSymbols are the functions R 4.2 refuses as the function of a
// pipe's right-hand side (Spec_name in src/main/names.c).
var specialSymbols = map[string]bool{
	"if": true, "while": true, "repeat": true, "for": true, "break": true, "next": true,
	"return": true, "function": true, "(": true, "{": true,
	"+": true, "-": true, "*": true, "/": true, "^": true, "%%": true, "%/%": true, "%*%": true,
	":": true, "::": true, ":::": true, "?": true, "|>": true, "~": true, "@": true, "=>": true,
	"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"&": true, "|": true, "&&": true, "||": true, "!": true,
	"<-": true, "<<-": true, "=": true, "$": true, "[": true, "[[": true,
	"$<-": true, "[<-": true, "[[<-": true,
}

// langHead returns the function of a node that R represents as a call
// (a LANGSXP), and false for constants and names.
func langHead(n Node) (Node, bool) {
	switch n := n.(type) {
	case *Call:
		return n.Fn, true
	case *Index:
		if n.Double {
			return &Symbol{P: n.Open, Name: "[["}, true
		}
		return &Symbol{P: n.Open, Name: "["}, true
	case *Unary:
		return &Symbol{P: n.P, Name: n.Op}, true
	case *Binary:
		return &Symbol{P: n.OpPos, Name: n.Op}, true
	case *Paren:
		return &Symbol{P: n.P, Name: "("}, true
	case *Block:
		return &Symbol{P: n.P, Name: "{"}, true
	case *If:
		return &Symbol{P: n.P, Name: "if"}, true
	case *For:
		return &Symbol{P: n.P, Name: "for"}, true
	case *While:
		return &Symbol{P: n.P, Name: "while"}, true
	case *Repeat:
		return &Symbol{P: n.P, Name: "repeat"}, true
	case *Break:
		return &Symbol{P: n.P, Name: "break"}, true
	case *Next:
		return &Symbol{P: n.P, Name: "next"}, true
	case *Function:
		return &Symbol{P: n.P, Name: "function"}, true
	}
	return nil, false
}

// langArgs lists the arguments of a call-like node the way R's pipe code
// sees them (CDR of the LANGSXP); only Call and Index have tags.
func langArgs(n Node) []Arg {
	un := func(ns ...Node) []Arg {
		out := make([]Arg, 0, len(ns))
		for _, x := range ns {
			out = append(out, Arg{Value: x})
		}
		return out
	}
	switch n := n.(type) {
	case *Call:
		return n.Args
	case *Index:
		return append(un(n.X), n.Args...)
	case *Unary:
		return un(n.X)
	case *Binary:
		return un(n.X, n.Y)
	case *Paren:
		return un(n.X)
	case *Block:
		return un(n.Exprs...)
	case *If:
		if n.Else != nil {
			return un(n.Cond, n.Then, n.Else)
		}
		return un(n.Cond, n.Then)
	case *For:
		return un(n.Var, n.Seq, n.Body)
	case *While:
		return un(n.Cond, n.Body)
	case *Repeat:
		return un(n.Body)
	case *Function:
		// The formals are a pairlist (never the placeholder itself).
		return un(&Const{P: n.P, Name: "NULL"}, n.Body)
	}
	return nil
}

func isPlaceholder(n Node) bool {
	_, ok := n.(*Placeholder)
	return ok
}

// pipe is R 4.2's xxpipe: lhs |> rhs becomes rhs with lhs inserted as its
// first argument, or substituted for a `_` passed as a named argument.
// New argument lists come from args.
func pipe(lhs, rhs Node, placeholders bool, args *slab[Arg]) (Node, error) {
	fail := func(msg string) error { return &SyntaxError{Pos: rhs.Pos(), Msg: msg} }
	head, ok := langHead(rhs)
	if !ok {
		return nil, fail("The pipe operator requires a function call as RHS")
	}
	if !placeholders {
		return pipeInsert(lhs, rhs, head, args)
	}
	if p := findPlaceholder(head); p != nil {
		return nil, fail("pipe placeholder cannot be used in the RHS function")
	}
	largs := langArgs(rhs)
	for i, a := range largs {
		if !isPlaceholder(a.Value) {
			continue
		}
		if !a.HasName {
			return nil, &SyntaxError{Pos: a.Value.Pos(), Msg: "pipe placeholder can only be used as a named argument"}
		}
		for _, b := range largs[i+1:] {
			if isPlaceholder(b.Value) {
				return nil, &SyntaxError{Pos: b.Value.Pos(), Msg: "pipe placeholder may only appear once"}
			}
		}
		switch r := rhs.(type) {
		case *Call:
			r.Args[i] = Arg{Name: a.Name, HasName: true, NamePos: a.NamePos, Value: lhs}
			r.P, r.Pipe = lhs.Pos(), true
			return r, nil
		case *Index:
			// x |> y[i = _] is accepted by R 4.2 and means y[i = x].
			r.Args[i-1] = Arg{Name: a.Name, HasName: true, NamePos: a.NamePos, Value: lhs}
			return r, nil
		}
		// Other nodes have no tagged arguments.
		return nil, fail("pipe placeholder can only be used as a named argument")
	}
	return pipeInsert(lhs, rhs, head, args)
}

// pipeInsert makes lhs the first argument of rhs, after R's check that
// the function is not a syntactically special one.
func pipeInsert(lhs, rhs, head Node, args *slab[Arg]) (Node, error) {
	fail := func(msg string) error { return &SyntaxError{Pos: rhs.Pos(), Msg: msg} }
	if s, ok := head.(*Symbol); ok && specialSymbols[s.Name] {
		return nil, fail("function '" + s.Name + "' not supported in RHS call of a pipe")
	}
	call, ok := rhs.(*Call)
	if !ok {
		// Unreachable with R 4.2's grammar: every other call-like node
		// has a special function. Refuse rather than guess.
		return nil, fail("unsupported right-hand side of a pipe")
	}
	n := len(call.Args) + 1
	var out []Arg
	if n > maxChunk {
		out = make([]Arg, n)
	} else {
		out = args.take(n)
	}
	out[0] = Arg{Value: lhs}
	copy(out[1:], call.Args)
	call.Args = out
	call.P, call.Pipe = lhs.Pos(), true
	return call, nil
}

// findPlaceholder is R's checkForPlaceholder: it looks through calls but,
// like R, not into the formals of a function. It is iterative because it
// runs before the depth limit is checked.
func findPlaceholder(n Node) Node {
	stack := []Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if isPlaceholder(n) {
			return n
		}
		head, ok := langHead(n)
		if !ok {
			continue
		}
		args := langArgs(n)
		for i := len(args) - 1; i >= 0; i-- {
			if args[i].Value != nil {
				stack = append(stack, args[i].Value)
			}
		}
		stack = append(stack, head)
	}
	return nil
}

// checkPlaceholders is R_Parse1's check after each top-level expression:
// a `_` left anywhere (outside formals) is an error.
func checkPlaceholders(e Node) error {
	if p := findPlaceholder(e); p != nil {
		return &SyntaxError{Pos: p.Pos(), Msg: "invalid use of pipe placeholder"}
	}
	return nil
}
