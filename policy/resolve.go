package policy

import (
	"slices"
	"strings"
)

// Reference kinds as the analysis (policy/refs) reports them.
const (
	refCall              = "call"
	refSymbol            = "symbol"
	refString            = "string"
	refOperator          = "operator"
	refReplacement       = "replacement"
	refNamespace         = "namespace"
	refNamespaceInternal = "namespace_internal"
	refLoad              = "load"
	refDynamic           = "dynamic"
)

// reference is one function reference found in R code. It mirrors
// refs.Ref with plain fields so that resolution can be tested on its own.
type reference struct {
	Name, Pkg, Kind, Detail string
	Line, Col               int
}

// request is one Casbin request produced by a reference.
type request struct {
	obj, act  string
	line, col int
	// detail says, for dynamic:call, what the analysis could not see
	// through and how to write it instead.
	detail string
}

// attaches reports whether a load reference attaches the package to the
// search path (library, require, attachNamespace) rather than only loading
// its namespace (requireNamespace, loadNamespace, PKG::NAME). The analysis
// names the loading function at the start of Detail: "library(stats)".
func attaches(r reference) bool {
	for _, fn := range []string{"library(", "require(", "attachNamespace("} {
		if strings.HasPrefix(r.Detail, fn) {
			return true
		}
	}
	return false
}

// requests turns references into Casbin requests. Unqualified names resolve
// in R's search order, extended by the packages the script attaches before
// the reference; a name found in no attached package is the script's own
// function and needs no permission (a user's definition never makes a
// package function allowed, because a name that is also a package's
// resolves to the package's).
func (ix *Index) requests(refs []reference) []request {
	byPos := func(a, b reference) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	}
	if !slices.IsSortedFunc(refs, byPos) {
		refs = slices.Clone(refs)
		slices.SortStableFunc(refs, byPos)
	}
	rv := resolver{ix: ix}
	out := make([]request, 0, len(refs))
	for i := range refs {
		out = rv.add(out, &refs[i])
	}
	return out
}

// resolver turns references, taken in source order, into requests. It
// carries the packages the script has attached so far.
type resolver struct {
	ix       *Index
	attached []string // by the script, most recent first
}

// add appends the requests of r to out.
func (rv *resolver) add(out []request, r *reference) []request {
	ix := rv.ix
	add := func(obj, act string) {
		out = append(out, request{obj: obj, act: act, line: r.Line, col: r.Col})
	}
	switch r.Kind {
	case refDynamic:
		out = append(out, request{obj: DynamicCall, act: ActCall, line: r.Line, col: r.Col, detail: r.Detail})
	case refLoad:
		pkg := r.Pkg
		if pkg == "" {
			pkg = r.Name
		}
		if !validPackageName(pkg) {
			// library(character.only = TRUE) of something odd: the
			// analysis should report it as dynamic; be safe anyway.
			add(DynamicCall, ActCall)
			break
		}
		add(PackageObject(pkg), ActLoad)
		if attaches(*r) && ix.HasPackage(pkg) && !slices.Contains(ix.Search, pkg) && !slices.Contains(rv.attached, pkg) {
			rv.attached = append([]string{pkg}, rv.attached...)
		}
	case refNamespace, refNamespaceInternal:
		ix.qualified(*r, add)
	default:
		if r.Pkg != "" {
			ix.qualified(*r, add)
			break
		}
		if r.Name == "" {
			break
		}
		if obj, ok := ix.resolve(rv.attached, r.Name, r.Kind != refSymbol); ok {
			add(obj, ActCall)
		}
	}
	return out
}

// qualified adds the requests of PKG::NAME or PKG:::NAME. The load of
// PKG is not added here: the analysis reports it as a load reference of
// its own, at the position of PKG.
func (ix *Index) qualified(r reference, add func(string, string)) {
	if !validPackageName(r.Pkg) || r.Name == "" {
		add(DynamicCall, ActCall)
		return
	}
	add(FunctionObject(r.Pkg, r.Name), ActCall)
	if r.Kind == refNamespaceInternal {
		add(InternalObject(r.Pkg), ActCall)
	}
}
