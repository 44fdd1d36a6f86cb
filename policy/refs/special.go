package refs

import (
	"fmt"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// special handles a call of a function in specs and returns the indices
// of the arguments it has fully accounted for (the others are visited as
// usual).
func (a *analysis) special(c *rsyntax.Call, name string, sp spec, handled []bool) {
	m := matchArgs(sp.formals, c.Args)
	arg := func(formal string) (rsyntax.Node, int, bool) {
		i, ok := m.lookup(formal)
		if !ok {
			return nil, -1, false
		}
		return c.Args[i].Value, i, true
	}
	switch name {
	case "getExportedValue", "getFromNamespace":
		a.qualifiedCall(c, name, &m, handled)
		return
	case "exists":
		// exists("f", mode = "function") probes for a function by name;
		// other modes are not function references.
		mode, _, ok := arg("mode")
		if s, isStr := mode.(*rsyntax.String); !ok || !isStr || s.Value != "function" {
			return
		}
	}
	for _, formal := range sp.formals {
		role, ok := sp.roles[formal]
		if !ok {
			continue
		}
		v, i, bound := arg(formal)
		// An argument that is not matched by its exact name may come from
		// the caller's ... at run time.
		if m.dots && !m.isExact(formal) {
			a.add(KindDynamic, "", "", c.P, fmt.Sprintf("argument %s of %s may come from ...", formal, name))
		}
		if !bound || v == nil {
			continue
		}
		switch role {
		case roleFun:
			a.funArg(v, i, sp.texts[formal], handled)
		case roleName:
			a.nameArg(v, i, sp.texts[formal], name, handled)
		case rolePkg:
			a.pkgArg(v, i, name, false, &m, c, handled)
		case rolePkgNSE:
			a.pkgArg(v, i, name, true, &m, c, handled)
		}
	}
}

// loaders are the functions that load a package named by an argument:
// passed as a function (do.call("library", l), lapply(p, require)), the
// package is only known at run time.
var loaders = map[string]bool{
	"library": true, "require": true, "requireNamespace": true, "loadNamespace": true,
	"attachNamespace": true, "asNamespace": true, "getNamespace": true,
}

// funHint says how to write a function argument the analysis can check.
const funHint = "; pass the function itself, e.g. lapply(x, mean), or a function(v) ... literal"

// funArg handles an argument R passes to match.fun (or treats alike).
// tx are the argument's details.
func (a *analysis) funArg(v rsyntax.Node, i int, tx *argTexts, handled []bool) {
	where := tx.where
	if name, ok := nameOf(v); ok && loaders[name] {
		a.add(KindDynamic, "", "", v.Pos(), fmt.Sprintf("%s passed as %s loads a package chosen at run time", name, where))
	}
	switch x := v.(type) {
	case *rsyntax.String:
		a.add(KindString, x.Value, "", x.P, tx.str)
		handled[i] = true
	case *rsyntax.Symbol:
		handled[i] = true
		if isDotsName(x.Name) {
			a.add(KindDynamic, "", "", x.P, "function argument "+where+" comes from ...")
			return
		}
		// Always reported: match.fun skips a binding that is not a
		// function and finds the package function of the same name.
		a.add(KindSymbol, x.Name, "", x.P, tx.fun)
		if b, ok := a.bound.lookup(x.Name); ok && b.other {
			a.add(KindDynamic, "", "", x.P, fmt.Sprintf("function argument %s is the variable %s, which may name any function%s", where, x.Name, funHint))
		}
	case *rsyntax.Const, *rsyntax.Num:
		// NULL, NA or a number: no function.
	case *rsyntax.Binary:
		if x.Op == "::" || x.Op == ":::" {
			return // pkg::f, reported as such by the visit
		}
		a.add(KindDynamic, "", "", x.Pos(), "computed function argument "+where+funHint)
	default:
		if !isFunctionLiteral(v) {
			a.add(KindDynamic, "", "", v.Pos(), "computed function argument "+where+funHint)
		}
	}
}

// nameArg handles an argument that is an object's name as a string (get).
func (a *analysis) nameArg(v rsyntax.Node, i int, tx *argTexts, fname string, handled []bool) {
	where := tx.where
	if s, ok := v.(*rsyntax.String); ok {
		a.add(KindString, s.Value, "", s.P, tx.str)
		handled[i] = true
		return
	}
	// mget(c("a", "b")): every name literal.
	if c, ok := v.(*rsyntax.Call); ok && fname == "mget" {
		if n, _ := callee(c); n == "c" && len(c.Args) > 0 {
			lits := true
			for _, ca := range c.Args {
				if _, ok := ca.Value.(*rsyntax.String); !ok || ca.HasName {
					lits = false
				}
			}
			if lits {
				for _, ca := range c.Args {
					s := ca.Value.(*rsyntax.String)
					a.add(KindString, s.Value, "", s.P, tx.str)
				}
				a.add(KindCall, "c", "", c.Fn.Pos(), "")
				handled[i] = true
				return
			}
		}
	}
	a.add(KindDynamic, "", "", v.Pos(), "computed name in "+where)
}

// pkgArg handles the package argument of library, require and the
// namespace functions. nse is set for library and require, which take a
// bare name as the package unless character.only is TRUE.
func (a *analysis) pkgArg(v rsyntax.Node, i int, fname string, nse bool, m *matched, c *rsyntax.Call, handled []bool) {
	load := func(pkg string, pos rsyntax.Pos) {
		a.add(KindLoad, pkg, pkg, pos, fmt.Sprintf("%s(%s)", fname, pkg))
	}
	switch x := v.(type) {
	case *rsyntax.String:
		load(x.Value, x.P)
		handled[i] = true
		return
	case *rsyntax.Symbol:
		if !nse {
			break
		}
		charOnly := "FALSE"
		if j, ok := m.lookup("character.only"); ok {
			charOnly = ""
			if k, ok := c.Args[j].Value.(*rsyntax.Const); ok && (k.Name == "TRUE" || k.Name == "FALSE") {
				charOnly = k.Name
			}
		}
		switch charOnly {
		case "FALSE":
			load(x.Name, x.P)
			handled[i] = true
			return
		case "":
			// Not known until run time: either the name or its value.
			load(x.Name, x.P)
		}
	}
	a.add(KindDynamic, "", "", v.Pos(), fmt.Sprintf("computed package name in %s", fname))
}

// qualifiedCall handles getExportedValue(ns, name) and
// getFromNamespace(x, ns), which are pkg::name and pkg:::name.
func (a *analysis) qualifiedCall(c *rsyntax.Call, fname string, m *matched, handled []bool) {
	nsFormal, nameFormal, kind, op := "ns", "name", KindNamespace, "::"
	if fname == "getFromNamespace" {
		nameFormal, kind, op = "x", KindNamespaceInternal, ":::"
	}
	ni, ok1 := m.lookup(nameFormal)
	pi, ok2 := m.lookup(nsFormal)
	if ok1 && ok2 && !m.dots {
		name, isStr1 := c.Args[ni].Value.(*rsyntax.String)
		pkg, isStr2 := c.Args[pi].Value.(*rsyntax.String)
		if isStr1 && isStr2 {
			detail := fmt.Sprintf("%s (%s%s%s)", fname, pkg.Value, op, name.Value)
			a.add(kind, name.Value, pkg.Value, name.P, detail)
			a.add(KindLoad, pkg.Value, pkg.Value, pkg.P, detail)
			handled[ni], handled[pi] = true, true
			return
		}
	}
	a.add(KindDynamic, "", "", c.P, "computed reference in "+fname)
}
