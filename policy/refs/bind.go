package refs

import "github.com/rwarden/rwarden/policy/rsyntax"

// binding records how a script binds a name.
type binding struct {
	// other is set when some binding is not a function literal (a value,
	// a formal argument, a for variable): the name may hold a string.
	other bool
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

// boundNames collects every name the script binds anywhere, and counts
// the nodes (to size the list of references).
func boundNames(f *rsyntax.File) (map[string]binding, int) {
	bound := map[string]binding{}
	nodes := 0
	bind := func(name string, fn bool) {
		b := bound[name]
		b.other = b.other || !fn
		bound[name] = b
	}
	for _, e := range f.Exprs {
		rsyntax.Walk(e, func(n rsyntax.Node) bool {
			nodes++
			switch n := n.(type) {
			case *rsyntax.Binary:
				if isAssign(n) {
					if name, ok := targetName(n.X); ok {
						_, simple := n.X.(*rsyntax.Symbol)
						_, str := n.X.(*rsyntax.String)
						bind(name, (simple || str) && isFunctionLiteral(n.Y))
					}
				}
			case *rsyntax.For:
				bind(n.Var.Name, false)
			case *rsyntax.Function:
				for _, p := range n.Params {
					bind(p.Name.Name, false)
				}
			case *rsyntax.Call:
				name, _ := callee(n)
				var nameArg, valueArg string
				switch name {
				case "assign", "delayedAssign":
					nameArg, valueArg = "x", "value"
				case "makeActiveBinding":
					nameArg, valueArg = "sym", "fun"
				default:
					return true
				}
				m := matchArgs(specs[name].formals, n.Args)
				if i, ok := m.bound[nameArg]; ok {
					if s, ok := n.Args[i].Value.(*rsyntax.String); ok {
						fn := false
						if j, ok := m.bound[valueArg]; ok && name != "makeActiveBinding" {
							fn = isFunctionLiteral(n.Args[j].Value)
						}
						bind(s.Value, fn)
					}
				}
			}
			return true
		})
	}
	return bound, nodes
}
