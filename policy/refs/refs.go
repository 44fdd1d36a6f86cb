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
	var fd Finder
	return fd.Find(f)
}

// Finder is Find with memory kept from one call to the next: the slice
// its Find returns is overwritten by its next Find. It is for callers that
// are done with the references before the next script, such as the policy
// check of every request. A Finder is not safe for concurrent use; its
// zero value is ready to use.
type Finder struct{ a analysis }

// maxKeptRefs and maxKeptBound bound the reference list and the table of
// bound names a Finder keeps between calls.
const (
	maxKeptRefs  = 1 << 14
	maxKeptBound = 1 << 12
)

// Find is the package-level Find; the result is valid until the next call.
func (fd *Finder) Find(f *rsyntax.File) []Ref {
	if f == nil {
		return nil
	}
	a := &fd.a
	if a.planMemo == nil {
		a.planMemo = new([planMemoSize]planMemo)
	}
	a.resetBindings()
	a.allBindings(f.Exprs, f.Binders)
	a.top.reset()
	a.top.off = a.unscoped
	a.sc, a.depth = &a.top, 0
	a.refs = a.refs[:0]
	for _, e := range f.Exprs {
		a.readable = nil
		if isPlainRead(e) {
			a.readable = a.saved
		}
		a.visit(e)
		a.saved = nil
		a.saveTargets(e)
	}
	a.readable, a.saved = nil, nil
	out := a.refs
	sortRefs(out)
	out = compactRefs(out)
	// What Compact dropped would keep strings alive in the reused list.
	clear(a.refs[len(out):])
	// A large script's memory is not kept for the next (the result
	// stays valid: it is the caller's until the next call).
	if a.bound.len() > maxKeptBound {
		a.bound = nameTable[binding]{}
	}
	if cap(a.leakyNames) > maxKeptBound {
		a.leakyNames = nil
	}
	if cap(a.refs) > maxKeptRefs {
		a.refs = nil
	}
	if cap(a.flags) > maxKeptRefs {
		a.flags = nil
	}
	if a.top.count.len() > maxKeptBound || cap(a.top.log) > maxKeptRefs {
		a.top = scope{}
	}
	if a.inner.count.len() > maxKeptBound || cap(a.inner.log) > maxKeptRefs {
		a.inner = scope{}
	}
	return out
}

// sortRefs sorts by compareRefs. The visit is in source order but for a
// few constructs (pkg::f, complex assignments, pipes, the arguments of
// lapply and friends), so an insertion sort usually moves a handful of
// references; it gives up for a general sort when the input needs many
// moves (long pipe chains are reversed), so that no script is quadratic.
// The order is total except for Detail-only differences, which Find's
// Compact merges, so the result does not depend on the algorithm.
func sortRefs(refs []Ref) {
	budget := 4*len(refs) + 64
	for i := 1; i < len(refs); i++ {
		// In order by position, the common case, without a call.
		if p, q := refs[i-1].Pos, refs[i].Pos; p.Line < q.Line || p.Line == q.Line && p.Col < q.Col {
			continue
		}
		if compareRefPtrs(&refs[i-1], &refs[i]) <= 0 {
			continue
		}
		j := i
		for j > 0 && compareRefPtrs(&refs[j-1], &refs[i]) > 0 {
			j--
		}
		if budget -= i - j; budget < 0 {
			slices.SortFunc(refs, compareRefs)
			return
		}
		r := refs[i]
		copy(refs[j+1:i+1], refs[j:i])
		refs[j] = r
	}
}

// compactRefs drops each reference equal to the one before it but for
// Detail (the first, smallest Detail is kept). Equality but for Detail is
// transitive, so a reference is dropped exactly when it equals its
// neighbour in the input; the kept runs between are moved down whole (a
// script has few duplicates, and moving every later reference one by one
// was most of the cost).
func compactRefs(refs []Ref) []Ref {
	w, start := 0, 0 // refs[:w] are kept; refs[start:i] are to keep
	for i := 1; i < len(refs); i++ {
		if x, y := &refs[i-1], &refs[i]; x.Pos != y.Pos || x.Kind != y.Kind || x.Pkg != y.Pkg || x.Name != y.Name {
			continue
		}
		// The writes go below i-1: the neighbours still to compare
		// are untouched.
		if w != start {
			copy(refs[w:], refs[start:i])
		}
		w += i - start
		start = i + 1
	}
	if start == 0 {
		return refs
	}
	if start < len(refs) {
		copy(refs[w:], refs[start:])
		w += len(refs) - start
	}
	return refs[:w]
}

// compareRefs orders references by position, kind, package, name and
// detail.
func compareRefs(x, y Ref) int { return compareRefPtrs(&x, &y) }

// compareRefPtrs is compareRefs without copying the references. It
// returns as soon as a field differs (cmp.Or would compare all).
func compareRefPtrs(x, y *Ref) int {
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
	bound nameTable[binding]
	// leakyNames are the names whose binding in bound is leaky, in the
	// order they became so.
	leakyNames []string
	// sc is the scope of the visit's current point: top at the top
	// level, inner inside function literals (see scope).
	sc         *scope
	top, inner scope
	depth      int
	// unscoped is set when the script names rm or remove.
	unscoped bool
	// saved are the literal files the previous top-level statement wrote
	// with saveRDS() or save(); readable is saved while the visit is in
	// a statement that only reads one back (see unserializeArg).
	saved, readable map[string]bool
	// nesting counts strings parsed as code within strings.
	nesting int
	// mbound, mused and mdots are matchModel's memory.
	mbound []int
	mused  []bool
	mdots  []int
	refs   []Ref
	flags  []bool // see call
	// planMemo caches calleePlans by name (see plan); the plans are
	// static, so it is kept from one Find to the next, and shared with
	// sub.
	planMemo *[planMemoSize]planMemo
	// sub analyses the strings this analysis parses as code.
	sub *subFinder
}

// subFinder is the memory of an analysis of strings parsed as code.
type subFinder struct {
	p  rsyntax.Parser
	fd Finder
}

func (a *analysis) add(kind Kind, name, pkg string, pos rsyntax.Pos, detail string) {
	if name == "" && kind != KindDynamic {
		// "" names nothing R can find (get("") and call("") fail); a
		// policy cannot decide on it, so it is reported as unknown.
		kind, detail = KindDynamic, "empty name: "+detail
	}
	// Field by field into the list: a Ref literal would be built on the
	// stack and copied.
	if len(a.refs) == cap(a.refs) {
		a.refs = slices.Grow(a.refs, 1)
	}
	a.refs = a.refs[:len(a.refs)+1]
	r := &a.refs[len(a.refs)-1]
	r.Name, r.Pkg, r.Kind, r.Pos, r.Detail = name, pkg, kind, pos, detail
}
