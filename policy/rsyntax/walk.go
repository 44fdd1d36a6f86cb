package rsyntax

import "fmt"

// Walk calls fn for n and, when fn returns true, for each of n's
// children in source order, depth first. Every node R would see is
// visited, including function bodies, default values, quote() arguments
// and formulas. nil nodes (empty arguments, missing else) are skipped.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	// A direct type switch rather than eachChild: no closure per node.
	args := func(as []Arg) {
		for i := range as {
			Walk(as[i].Value, fn)
		}
	}
	switch n := n.(type) {
	case *Call:
		if n.Pipe && len(n.Args) > 0 && n.Args[0].Value != nil && n.Args[0].Value.Pos() == n.P {
			Walk(n.Args[0].Value, fn)
			Walk(n.Fn, fn)
			args(n.Args[1:])
			return
		}
		Walk(n.Fn, fn)
		args(n.Args)
	case *Index:
		Walk(n.X, fn)
		args(n.Args)
	case *Unary:
		Walk(n.X, fn)
	case *Binary:
		if n.Rightward {
			Walk(n.Y, fn)
			Walk(n.X, fn)
			return
		}
		Walk(n.X, fn)
		Walk(n.Y, fn)
	case *Paren:
		Walk(n.X, fn)
	case *Block:
		for _, e := range n.Exprs {
			Walk(e, fn)
		}
	case *If:
		Walk(n.Cond, fn)
		Walk(n.Then, fn)
		Walk(n.Else, fn)
	case *For:
		Walk(n.Var, fn)
		Walk(n.Seq, fn)
		Walk(n.Body, fn)
	case *While:
		Walk(n.Cond, fn)
		Walk(n.Body, fn)
	case *Repeat:
		Walk(n.Body, fn)
	case *Function:
		for _, p := range n.Params {
			Walk(p.Name, fn)
			Walk(p.Default, fn)
		}
		Walk(n.Body, fn)
	}
}

// eachChild calls fn for the non-nil children of n in source order.
func eachChild(n Node, fn func(Node)) {
	visit := func(c Node) {
		if c != nil {
			fn(c)
		}
	}
	args := func(as []Arg) {
		for _, a := range as {
			visit(a.Value)
		}
	}
	switch n := n.(type) {
	case *Call:
		if !n.Pipe {
			visit(n.Fn)
			args(n.Args)
			return
		}
		// lhs |> f(y): the piped value comes first in the source.
		if len(n.Args) > 0 && n.Args[0].Value != nil && n.Args[0].Value.Pos() == n.P {
			visit(n.Args[0].Value)
			visit(n.Fn)
			args(n.Args[1:])
			return
		}
		visit(n.Fn)
		args(n.Args)
	case *Index:
		visit(n.X)
		args(n.Args)
	case *Unary:
		visit(n.X)
	case *Binary:
		if n.Rightward {
			visit(n.Y)
			visit(n.X)
			return
		}
		visit(n.X)
		visit(n.Y)
	case *Paren:
		visit(n.X)
	case *Block:
		for _, e := range n.Exprs {
			visit(e)
		}
	case *If:
		visit(n.Cond)
		visit(n.Then)
		visit(n.Else)
	case *For:
		visit(n.Var)
		visit(n.Seq)
		visit(n.Body)
	case *While:
		visit(n.Cond)
		visit(n.Body)
	case *Repeat:
		visit(n.Body)
	case *Function:
		for _, p := range n.Params {
			visit(p.Name)
			visit(p.Default)
		}
		visit(n.Body)
	}
}

// checkDepth bounds the height of the tree so that recursive consumers
// (Walk, the printer, the policy's analysis) stay within a known stack.
// It recurses, but never below max+1 levels: a long left-associative chain
// such as a+a+...+a, built by a loop in the parser, is cut off there.
func checkDepth(root Node, max int) error {
	if n := tooDeep(root, 1, max); n != nil {
		return &LimitError{Pos: n.Pos(), Msg: fmt.Sprintf("expression nested deeper than %d", max)}
	}
	return nil
}

// tooDeep returns a node at depth max+1 below n (at depth d), or nil. It
// visits the children in the order Walk does, without closures: it runs
// on every large top-level expression.
func tooDeep(n Node, d, max int) Node {
	if n == nil {
		return nil
	}
	if d > max {
		return n
	}
	d++
	switch n := n.(type) {
	case *Call:
		if x := tooDeep(n.Fn, d, max); x != nil {
			return x
		}
		return tooDeepArgs(n.Args, d, max)
	case *Index:
		if x := tooDeep(n.X, d, max); x != nil {
			return x
		}
		return tooDeepArgs(n.Args, d, max)
	case *Unary:
		return tooDeep(n.X, d, max)
	case *Binary:
		if x := tooDeep(n.X, d, max); x != nil {
			return x
		}
		return tooDeep(n.Y, d, max)
	case *Paren:
		return tooDeep(n.X, d, max)
	case *Block:
		for _, e := range n.Exprs {
			if x := tooDeep(e, d, max); x != nil {
				return x
			}
		}
	case *If:
		if x := tooDeep(n.Cond, d, max); x != nil {
			return x
		}
		if x := tooDeep(n.Then, d, max); x != nil {
			return x
		}
		return tooDeep(n.Else, d, max)
	case *For:
		if x := tooDeep(n.Var, d, max); x != nil {
			return x
		}
		if x := tooDeep(n.Seq, d, max); x != nil {
			return x
		}
		return tooDeep(n.Body, d, max)
	case *While:
		if x := tooDeep(n.Cond, d, max); x != nil {
			return x
		}
		return tooDeep(n.Body, d, max)
	case *Repeat:
		return tooDeep(n.Body, d, max)
	case *Function:
		for _, p := range n.Params {
			if x := tooDeep(p.Name, d, max); x != nil {
				return x
			}
			if x := tooDeep(p.Default, d, max); x != nil {
				return x
			}
		}
		return tooDeep(n.Body, d, max)
	}
	return nil
}

func tooDeepArgs(as []Arg, d, max int) Node {
	for i := range as {
		if x := tooDeep(as[i].Value, d, max); x != nil {
			return x
		}
	}
	return nil
}
