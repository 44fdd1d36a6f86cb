package refs

import (
	"cmp"
	"slices"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// Kind is the kind of a reference; see the package documentation.
type Kind string

// Reference kinds.
const (
	KindCall              Kind = "call"
	KindSymbol            Kind = "symbol"
	KindString            Kind = "string"
	KindOperator          Kind = "operator"
	KindReplacement       Kind = "replacement"
	KindNamespace         Kind = "namespace"
	KindNamespaceInternal Kind = "namespace_internal"
	KindLoad              Kind = "load"
	KindDynamic           Kind = "dynamic"
)

// Ref is one reference to a function (or package) in R code.
type Ref struct {
	Name   string // R name after unescaping: "system", "names<-", "[[<-", "%in%", "+", "if", "{"; "" for dynamic
	Pkg    string // explicit package for pkg::f / pkg:::f / loads; "" if unqualified
	Kind   Kind
	Pos    rsyntax.Pos
	Detail string // short human hint, e.g. "string argument FUN of lapply"
}

// Find returns every function reference in f, sorted by position (then
// kind, package and name) and without duplicates.
func Find(f *rsyntax.File) []Ref {
	if f == nil {
		return nil
	}
	bound, nodes := boundNames(f)
	// Fewer than one node in two gives a reference.
	a := &analysis{bound: bound, refs: make([]Ref, 0, nodes/2+16)}
	for _, e := range f.Exprs {
		a.visit(e)
	}
	out := a.refs
	// The visit is almost in source order; sorting is then cheap. The
	// order is total except for Detail-only differences, which Compact
	// below merges, so an unstable sort is deterministic enough.
	if !slices.IsSortedFunc(out, compareRefs) {
		slices.SortFunc(out, compareRefs)
	}
	return slices.CompactFunc(out, func(x, y Ref) bool {
		return x.Pos == y.Pos && x.Kind == y.Kind && x.Pkg == y.Pkg && x.Name == y.Name
	})
}

// compareRefs orders references by position, kind, package, name and
// detail. It returns as soon as a field differs (cmp.Or would compare all).
func compareRefs(x, y Ref) int {
	if x.Pos.Line != y.Pos.Line {
		return cmp.Compare(x.Pos.Line, y.Pos.Line)
	}
	if x.Pos.Col != y.Pos.Col {
		return cmp.Compare(x.Pos.Col, y.Pos.Col)
	}
	if x.Kind != y.Kind {
		return cmp.Compare(x.Kind, y.Kind)
	}
	if x.Pkg != y.Pkg {
		return cmp.Compare(x.Pkg, y.Pkg)
	}
	if x.Name != y.Name {
		return cmp.Compare(x.Name, y.Name)
	}
	return cmp.Compare(x.Detail, y.Detail)
}

// analysis accumulates the references of one file.
type analysis struct {
	bound map[string]binding
	refs  []Ref
}

func (a *analysis) add(kind Kind, name, pkg string, pos rsyntax.Pos, detail string) {
	if name == "" && kind != KindDynamic {
		// "" names nothing R can find (get("") and call("") fail); a
		// policy cannot decide on it, so it is reported as unknown.
		kind, detail = KindDynamic, "empty name: "+detail
	}
	a.refs = append(a.refs, Ref{Name: name, Pkg: pkg, Kind: kind, Pos: pos, Detail: detail})
}
