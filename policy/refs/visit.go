package refs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// isDotsName reports whether name is ... or ..1, ..2, ...: arguments,
// never functions.
func isDotsName(name string) bool {
	if len(name) < 3 || name[0] != '.' || name[1] != '.' {
		return false
	}
	if name == "..." {
		return true
	}
	for i := 2; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

func (a *analysis) op(name string, pos rsyntax.Pos) { a.add(KindOperator, name, "", pos, "") }

// visit reports the references of n and of everything below it.
func (a *analysis) visit(n rsyntax.Node) {
	// The commonest nodes first, by a type check each: cheaper than the
	// type switch for the bulk of a tree.
	if c, ok := n.(*rsyntax.Call); ok {
		a.call(c)
		return
	}
	if s, ok := n.(*rsyntax.Symbol); ok {
		a.symbol(s)
		return
	}
	switch n := n.(type) {
	case *rsyntax.String:
		if reservedName(n.Value) {
			a.add(KindDynamic, "", "", n.P, reservedDetail(n.Value))
		}
	case *rsyntax.Index:
		a.visit(n.X)
		if n.Double {
			a.op("[[", n.Open)
		} else {
			a.op("[", n.Open)
		}
		a.visitArgs(n.Args, nil)
	case *rsyntax.Unary:
		a.op(n.Op, n.P)
		a.visit(n.X)
	case *rsyntax.Binary:
		switch {
		case n.Op == "::" || n.Op == ":::":
			a.namespace(n, "")
		case n.Op == "$" || n.Op == "@":
			a.visit(n.X) // the member is a name, not a variable
			a.op(n.Op, n.OpPos)
			if m, ok := nameOf(n.Y); ok && reservedName(m) {
				a.add(KindDynamic, "", "", n.Y.Pos(), reservedDetail(m))
			}
		case isAssign(n):
			// R evaluates the value first, then (for a complex
			// assignment) the variable, then binds it.
			a.visit(n.Y)
			a.op(n.Op, n.OpPos)
			a.target(n.X, true)
			if n.Op != "<<-" {
				if name, ok := targetName(n.X); ok {
					a.sc.bind(name)
				}
			}
		case n.Op == "&&" || n.Op == "||":
			// The right operand may not be evaluated.
			a.visit(n.X)
			a.op(n.Op, n.OpPos)
			m := a.sc.mark()
			a.visit(n.Y)
			a.sc.restore(m)
		default:
			// In source order, so that the result is nearly sorted.
			a.visit(n.X)
			a.op(n.Op, n.OpPos)
			a.visit(n.Y)
		}
	case *rsyntax.Paren:
		a.op("(", n.P)
		a.visit(n.X)
	case *rsyntax.Block:
		a.op("{", n.P)
		for _, e := range n.Exprs {
			a.visit(e)
		}
	case *rsyntax.If:
		a.op("if", n.P)
		a.visit(n.Cond)
		m := a.sc.mark()
		a.visit(n.Then)
		if n.Else == nil {
			a.sc.restore(m)
			break
		}
		then := a.sc.since(m)
		a.sc.restore(m)
		a.visit(n.Else)
		els := a.sc.since(m)
		a.sc.restore(m)
		// Bound after the if: what both branches bind.
		for _, name := range then {
			if slices.Contains(els, name) {
				a.sc.bind(name)
			}
		}
	case *rsyntax.For:
		a.op("for", n.P)
		a.visit(n.Seq)
		m := a.sc.mark()
		a.sc.bind(n.Var.Name)
		a.visit(n.Body)
		a.sc.restore(m)
	case *rsyntax.While:
		a.op("while", n.P)
		a.visit(n.Cond)
		m := a.sc.mark()
		a.visit(n.Body)
		a.sc.restore(m)
	case *rsyntax.Repeat:
		a.op("repeat", n.P)
		m := a.sc.mark()
		a.visit(n.Body)
		a.sc.restore(m)
	case *rsyntax.Break:
		a.op("break", n.P)
	case *rsyntax.Next:
		a.op("next", n.P)
	case *rsyntax.Function:
		a.op("function", n.P)
		a.function_(n)
	}
}

// function_ visits a function literal's defaults and body in a scope of
// its own: its formals are bound there; an enclosing function's bindings
// are seen, the top level's are not (see scope).
func (a *analysis) function_(n *rsyntax.Function) {
	outer := a.sc
	if a.depth == 0 {
		a.inner.reset()
		a.inner.off = outer.off
		a.sc = &a.inner
	}
	a.depth++
	m := a.sc.mark()
	for _, p := range n.Params {
		a.sc.bind(p.Name.Name)
	}
	for _, p := range n.Params {
		if p.Default != nil {
			a.visitArg(p.Default)
		}
	}
	a.visit(n.Body)
	a.sc.restore(m)
	a.depth--
	a.sc = outer
}

// visitArg visits an argument of a call: a promise the callee may never
// force, so what it binds is not bound after it.
func (a *analysis) visitArg(v rsyntax.Node) {
	m := a.sc.mark()
	a.visit(v)
	a.sc.restore(m)
}

func (a *analysis) visitArgs(args []rsyntax.Arg, handled []bool) {
	for i := range args {
		v := args[i].Value
		if v == nil || handled != nil && handled[i] {
			continue
		}
		// The commonest arguments bind nothing: no mark to restore.
		switch v := v.(type) {
		case *rsyntax.Symbol:
			a.symbol(v)
		case *rsyntax.Num, *rsyntax.Const:
			// No reference (see visit).
		default:
			a.visitArg(v)
		}
	}
}

// symbol reports a name used as a value, unless it is provably bound
// at this point (see scope).
func (a *analysis) symbol(s *rsyntax.Symbol) {
	if isDotsName(s.Name) {
		return
	}
	if reservedName(s.Name) {
		a.add(KindDynamic, "", "", s.P, reservedDetail(s.Name))
	}
	if a.sc.isBound(s.Name) {
		return
	}
	a.add(KindSymbol, s.Name, "", s.P, "")
}

// namespace reports pkg::name or pkg:::name, with the load of pkg and the
// operator; suffix is appended to the name ("<-" for replacements).
func (a *analysis) namespace(b *rsyntax.Binary, suffix string) {
	name, ok1 := nameOf(b.Y)
	pkg, ok2 := nameOf(b.X)
	a.op(b.Op, b.OpPos)
	if !ok1 || !ok2 { // not produced by R's grammar
		a.add(KindDynamic, "", "", b.P, "computed namespace reference")
		return
	}
	kind := KindNamespace
	if b.Op == ":::" {
		kind = KindNamespaceInternal
	}
	detail := pkg + b.Op + name
	a.add(kind, name+suffix, pkg, b.Y.Pos(), detail+suffix)
	a.add(KindLoad, pkg, pkg, b.X.Pos(), detail)
}

// call reports a call: its function, and the function and package
// arguments of the functions in specs.
func (a *analysis) call(c *rsyntax.Call) {
	a.function(c.Fn)
	name, pkg := callee(c)
	cp := a.plan(name, pkg)
	sp, fns := cp.sp, cp.fns
	if sp == nil && len(fns) == 0 && !cp.doCall {
		a.visitArgs(c.Args, nil)
		return
	}
	// The arguments special and modelCall account for are flagged on a
	// stack shared by nested calls.
	base := len(a.flags)
	a.flags = append(a.flags, make([]bool, len(c.Args))...)
	handled := a.flags[base:]
	if sp != nil {
		a.special(c, name, *sp, handled)
	}
	if len(fns) > 0 || cp.doCall {
		a.modelCall(c, name, fns, sp, handled)
	}
	a.visitArgs(c.Args, a.flags[base:base+len(c.Args)])
	a.flags = a.flags[:base]
}

// function reports the expression in function position of a call.
func (a *analysis) function(fn rsyntax.Node) {
	switch f := fn.(type) {
	case *rsyntax.Symbol:
		if a.isLeakyName(f.Name) {
			a.add(KindDynamic, "", "", f.P, fmt.Sprintf("call of %s, which holds a value from an option, slot, attribute, restart or file: it may be any function; call the function by its name", f.Name))
		}
		if f.FromString {
			a.add(KindString, f.Name, "", f.P, fmt.Sprintf("string %q called as a function", f.Name))
		} else {
			a.add(KindCall, f.Name, "", f.P, "")
		}
		return
	case *rsyntax.Binary:
		if f.Op == "::" || f.Op == ":::" {
			a.namespace(f, "")
			return
		}
	}
	if !isFunctionLiteral(fn) {
		a.add(KindDynamic, "", "", fn.Pos(), "call of a computed function")
	}
	a.visit(fn)
}

// target reports the references of an assignment target: the replacement
// function of each level of a complex assignment and the getters R calls
// for the inner levels. The assigned variable itself is not a reference.
func (a *analysis) target(t rsyntax.Node, outer bool) {
	switch n := t.(type) {
	case *rsyntax.Symbol:
		// names(x) <- v reads x first (from an enclosing environment
		// when it is not bound here).
		if !outer {
			a.symbol(n)
		}
		return
	case *rsyntax.String:
		return
	case *rsyntax.Call:
		switch fn := n.Fn.(type) {
		case *rsyntax.Symbol:
			a.add(KindReplacement, fn.Name+"<-", "", fn.P, "complex assignment "+fn.Name+"(...) <- value")
			if !outer {
				a.function(fn)
			}
		case *rsyntax.Binary:
			if name, pkg := callee(n); (fn.Op == "::" || fn.Op == ":::") && name != "" {
				a.add(KindReplacement, name+"<-", pkg, fn.Y.Pos(), "complex assignment "+pkg+fn.Op+name+"(...) <- value")
				a.add(KindLoad, pkg, pkg, fn.X.Pos(), pkg+fn.Op+name+"<-")
				a.op(fn.Op, fn.OpPos)
				if fn.Op == ":::" {
					a.add(KindNamespaceInternal, name+"<-", pkg, fn.Y.Pos(), pkg+fn.Op+name+"<-")
				}
				if !outer {
					a.namespace(fn, "")
				}
				break
			}
			a.add(KindDynamic, "", "", fn.Pos(), "complex assignment through a computed function")
			a.visit(fn)
		default:
			a.add(KindDynamic, "", "", fn.Pos(), "complex assignment through a computed function")
			a.visit(fn)
		}
		if len(n.Args) > 0 {
			a.visitArgs(n.Args[1:], nil)
			if n.Args[0].Value != nil {
				a.target(n.Args[0].Value, false)
			}
		}
	case *rsyntax.Index:
		op := "["
		if n.Double {
			op = "[["
		}
		detail := "complex assignment x[...] <- value"
		if n.Double {
			detail = "complex assignment x[[...]] <- value"
		}
		a.add(KindReplacement, op+"<-", "", n.Open, detail)
		if !outer {
			a.op(op, n.Open)
		}
		a.visitArgs(n.Args, nil)
		a.target(n.X, false)
	case *rsyntax.Binary:
		a.add(KindReplacement, n.Op+"<-", "", n.OpPos, "complex assignment with "+n.Op)
		if !outer {
			a.op(n.Op, n.OpPos)
		}
		if n.Op != "$" && n.Op != "@" && n.Op != "::" && n.Op != ":::" {
			a.visit(n.Y)
		}
		a.target(n.X, false)
	case *rsyntax.Unary:
		a.add(KindReplacement, n.Op+"<-", "", n.P, "complex assignment with "+n.Op)
		if !outer {
			a.op(n.Op, n.P)
		}
		a.target(n.X, false)
	case *rsyntax.Paren:
		a.add(KindReplacement, "(<-", "", n.P, "complex assignment with (")
		if !outer {
			a.op("(", n.P)
		}
		a.target(n.X, false)
	default:
		a.visit(t)
	}
}

// reservedName reports names that lead to environments or state the
// user must not reach: the environment attribute of formulas and terms
// (.Environment), and the worker harness's own state (.rwarden...).
func reservedName(name string) bool {
	return name == ".Environment" || strings.HasPrefix(name, ".rwarden")
}

func reservedDetail(name string) string {
	if name == ".Environment" {
		return "the .Environment attribute of a formula or terms object leads to an environment outside the script's; use the formula itself"
	}
	return "the worker harness's state (" + name + ") is not the script's to read or change"
}
