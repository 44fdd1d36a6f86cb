package refs

import "github.com/rwarden/rwarden/policy/rsyntax"

// binding records how a script binds a name.
type binding struct {
	// other is set when some binding is not a function literal (a value,
	// a formal argument, a for variable): the name may hold a string.
	other bool
	// notFormula and notEnv are set when some binding is not a literal
	// formula, or not a call of new.env().
	notFormula, notEnv bool
	// notFit is set when some binding is not a literal call of a model
	// fitting function (see fitters).
	notFit bool
	// leaky is set when some binding's value comes from a source that
	// may hand back a function the script never named (see leakySources).
	leaky bool
}

// leakySources return values that may be functions or environments the
// script never named: option values, slots, attributes, restarts,
// unserialized data. A name bound to one is not called without
// dynamic:call.
var leakySources = map[string]bool{
	"getOption": true, "slot": true, "attr": true, "attributes": true, "computeRestarts": true,
	"findRestart": true, "readRDS": true, "unserialize": true, "load": true, "get": true, "get0": true,
	"mget": true, "environment": true, "conditionCall": true, "body": true, "formals": true,
}

// isLeaky reports whether v is a call of a leaky source, or a member,
// slot or element of one, or of a name bound to one.
func (a *analysis) isLeaky(v rsyntax.Node) bool {
	for {
		switch x := v.(type) {
		case *rsyntax.Paren:
			v = x.X
		case *rsyntax.Index:
			v = x.X
		case *rsyntax.Binary:
			if x.Op != "$" && x.Op != "@" {
				return false
			}
			if x.Op == "@" {
				return true
			}
			v = x.X
		case *rsyntax.Symbol:
			return a.isLeakyName(x.Name)
		case *rsyntax.Call:
			n, _ := callee(x)
			return leakySources[n]
		default:
			return false
		}
	}
}

// maxLeakyScan is the most leaky names isLeakyName compares one by one;
// past it, it looks the name up in bound.
const maxLeakyScan = 8

// isLeakyName reports whether name has a leaky binding in bound. Scripts
// bind few names to leaky values, if any, and a call checks its function's
// name here: comparing with each is cheaper than a map lookup.
func (a *analysis) isLeakyName(name string) bool {
	if len(a.leakyNames) > maxLeakyScan {
		b, _ := a.bound.lookup(name)
		return b.leaky
	}
	for _, n := range a.leakyNames {
		if n == name {
			return true
		}
	}
	return false
}

// assignOps are the operators R performs (complex) assignment with.
func isAssign(b *rsyntax.Binary) bool {
	return b.Op == "<-" || b.Op == "=" || b.Op == "<<-"
}

// isFunctionLiteral reports whether n is function(...) ..., possibly in
// parentheses.
func isFunctionLiteral(n rsyntax.Node) bool {
	for {
		switch x := n.(type) {
		case *rsyntax.Function:
			return true
		case *rsyntax.Paren:
			n = x.X
		default:
			return false
		}
	}
}

// targetName returns the variable an assignment target finally assigns:
// x for x, "x", names(x), x$a[2], ...
func targetName(t rsyntax.Node) (string, bool) {
	for {
		switch n := t.(type) {
		case *rsyntax.Symbol:
			return n.Name, true
		case *rsyntax.String:
			return n.Value, true
		case *rsyntax.Call:
			if len(n.Args) == 0 || n.Args[0].Value == nil {
				return "", false
			}
			t = n.Args[0].Value
		case *rsyntax.Index:
			t = n.X
		case *rsyntax.Binary:
			if n.Op != "$" && n.Op != "@" {
				return "", false
			}
			t = n.X
		case *rsyntax.Paren:
			t = n.X
		case *rsyntax.Unary:
			t = n.X
		default:
			return "", false
		}
	}
}

// bind records a binding of name to v (nil for a formal, a for variable
// or a complex assignment); fn tells whether the value is a function
// literal.
func (a *analysis) bind(name string, fn bool, v rsyntax.Node) {
	a.bindAs(name, fn, v, false)
}

// bindAs is bind; complex is set for a complex assignment (x[[k]] <- v),
// which changes the content of x but not whether it is an environment.
func (a *analysis) bindAs(name string, fn bool, v rsyntax.Node, complex bool) {
	p := a.bound.ref(name)
	b := *p
	nb := b
	nb.other = b.other || !fn
	nb.notFormula = b.notFormula || !isFormulaLiteral(v)
	nb.notEnv = b.notEnv || (!complex && !isNewEnv(v))
	nb.leaky = b.leaky || (v != nil && a.isLeaky(v))
	if nb.leaky && !b.leaky {
		a.leakyNames = append(a.leakyNames, name)
	}
	nb.notFit = b.notFit || !isFitCall(v)
	*p = nb
}

// assignBinding records the binding an assignment makes (nothing for
// another operator).
func (a *analysis) assignBinding(n *rsyntax.Binary) {
	if !isAssign(n) {
		return
	}
	if name, ok := targetName(n.X); ok {
		_, simple := n.X.(*rsyntax.Symbol)
		_, str := n.X.(*rsyntax.String)
		var v rsyntax.Node
		if simple || str {
			v = n.Y
		}
		a.bindAs(name, (simple || str) && isFunctionLiteral(n.Y), v, !simple && !str)
	}
}

// forBinding records the binding of a for loop's variable.
func (a *analysis) forBinding(n *rsyntax.For) { a.bind(n.Var.Name, false, nil) }

// formalBindings records the bindings of a function literal's formals.
func (a *analysis) formalBindings(n *rsyntax.Function) {
	for _, p := range n.Params {
		a.bind(p.Name.Name, false, nil)
	}
}

// allBindings records every name the top-level expressions exprs bind
// (the facts bindings collects). With the parser's list of binders it
// visits only those: what a node binds depends on that node alone, and
// the order of the bindings matters only through leaky values (isLeaky
// of a name bound earlier), so unless one assignment's value leads to a
// name another made leaky (leakOrderMatters) the facts are those of a
// walk in any order. When one does, or when the script names rm or
// remove (unscoped, which the walk finds among all names), or without
// the list, it walks the whole tree in the order bindings does.
func (a *analysis) allBindings(exprs []rsyntax.Node, bs *rsyntax.Binders) {
	if bs != nil && !bs.Unbinds {
		for _, n := range bs.Nodes {
			switch n := n.(type) {
			case *rsyntax.Binary:
				a.assignBinding(n)
			case *rsyntax.Call:
				a.callBindings(n)
			case *rsyntax.For:
				a.forBinding(n)
			case *rsyntax.Function:
				a.formalBindings(n)
			}
		}
		if len(a.leakyNames) == 0 || !a.leakOrderMatters(bs.Nodes) {
			return
		}
		a.resetBindings()
	}
	for _, e := range exprs {
		a.bindings(e)
	}
}

// leakOrderMatters reports whether the order of the assignments in nodes
// may change which names are leaky: whether the value of one is a name
// (or a member, element or slot of one, see isLeaky) that some assignment
// made leaky. When none is, every assignment is leaky or not whatever
// the order: the names made leaky are those bound to a leaky source,
// and no assignment's answer depends on another's.
func (a *analysis) leakOrderMatters(nodes []rsyntax.Node) bool {
	for _, n := range nodes {
		b, ok := n.(*rsyntax.Binary)
		if !ok || !isAssign(b) {
			continue
		}
		switch b.X.(type) {
		case *rsyntax.Symbol, *rsyntax.String:
			// Only a simple assignment's value is checked (assignBinding).
		default:
			continue
		}
		if name, ok := leakChainName(b.Y); ok && a.isLeakyName(name) {
			return true
		}
	}
	return false
}

// leakChainName returns the name isLeaky's answer on v depends on, if
// any: the name its chain of parentheses, elements and $ members ends at.
func leakChainName(v rsyntax.Node) (string, bool) {
	for {
		switch x := v.(type) {
		case *rsyntax.Paren:
			v = x.X
		case *rsyntax.Index:
			v = x.X
		case *rsyntax.Binary:
			if x.Op != "$" {
				return "", false
			}
			v = x.X
		case *rsyntax.Symbol:
			return x.Name, true
		default:
			return "", false
		}
	}
}

// resetBindings forgets every binding recorded.
func (a *analysis) resetBindings() {
	a.bound.reset()
	a.unscoped = false
	clear(a.leakyNames)
	a.leakyNames = a.leakyNames[:0]
}

// bindings records every name n and its descendants bind, in the order
// of a walk (what rsyntax.Walk visits, recursing directly rather than
// through a callback per node).
func (a *analysis) bindings(n rsyntax.Node) {
	if n == nil {
		return
	}
	// The commonest nodes first, by a type check each: cheaper than the
	// type switch for the bulk of a tree.
	if c, ok := n.(*rsyntax.Call); ok {
		a.callBindings(c)
		a.child(c.Fn)
		a.argBindings(c.Args)
		return
	}
	if _, ok := n.(*rsyntax.Num); ok {
		return
	}
	// Leaves (names, constants, break, next) are the default.
	switch n := n.(type) {
	case *rsyntax.Binary:
		a.assignBinding(n)
		a.child(n.X)
		a.child(n.Y)
	case *rsyntax.Index:
		a.child(n.X)
		a.argBindings(n.Args)
	case *rsyntax.Unary:
		a.bindings(n.X)
	case *rsyntax.Paren:
		a.bindings(n.X)
	case *rsyntax.Block:
		for _, e := range n.Exprs {
			a.bindings(e)
		}
	case *rsyntax.If:
		a.bindings(n.Cond)
		a.bindings(n.Then)
		a.bindings(n.Else)
	case *rsyntax.For:
		a.forBinding(n)
		a.bindings(n.Seq)
		a.bindings(n.Body)
	case *rsyntax.While:
		a.bindings(n.Cond)
		a.bindings(n.Body)
	case *rsyntax.Repeat:
		a.bindings(n.Body)
	case *rsyntax.Symbol:
		if isRemover(n.Name) {
			a.unscoped = true
		}
	case *rsyntax.String:
		if isRemover(n.Value) {
			a.unscoped = true
		}
	case *rsyntax.Function:
		a.formalBindings(n)
		for _, p := range n.Params {
			a.bindings(p.Default)
		}
		a.bindings(n.Body)
	}
}

func (a *analysis) argBindings(args []rsyntax.Arg) {
	for i := range args {
		a.child(args[i].Value)
	}
}

// child is bindings for a child node, with the commonest child, a name,
// handled without a call.
func (a *analysis) child(n rsyntax.Node) {
	if s, ok := n.(*rsyntax.Symbol); ok && !isRemover(s.Name) {
		return
	}
	a.bindings(n)
}

// callBindings records the binding made by assign(), delayedAssign() or
// makeActiveBinding() with a literal name.
func (a *analysis) callBindings(n *rsyntax.Call) {
	fn, ok := n.Fn.(*rsyntax.Symbol)
	if !ok {
		if name, _ := callee(n); name == "" {
			return
		}
	} else if len(fn.Name) < 6 || len(fn.Name) > 17 {
		// Shorter or longer than every binding function: most calls.
		return
	}
	name, _ := callee(n)
	var nameArg, valueArg string
	switch name {
	case "assign", "delayedAssign":
		nameArg, valueArg = "x", "value"
	case "makeActiveBinding":
		nameArg, valueArg = "sym", "fun"
	default:
		return
	}
	m := matchArgs(specs[name].formals, n.Args)
	if i, ok := m.lookup(nameArg); ok {
		if s, ok := n.Args[i].Value.(*rsyntax.String); ok {
			fn := false
			if j, ok := m.lookup(valueArg); ok && name != "makeActiveBinding" {
				fn = isFunctionLiteral(n.Args[j].Value)
			}
			a.bind(s.Value, fn, nil)
		}
	}
}

// fitters fit models and store the call they were made by, which
// update() evaluates again.
var fitters = map[string]bool{"lm": true, "glm": true, "nls": true, "aov": true, "loess": true, "update": true}

// isFitCall reports whether v is a call of a fitter by name.
func isFitCall(v rsyntax.Node) bool {
	c, ok := v.(*rsyntax.Call)
	if !ok {
		return false
	}
	n, pkg := callee(c)
	return fitters[n] && (pkg == "" || pkg == "stats")
}
