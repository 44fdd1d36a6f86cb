package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// DefaultSearchOrder is R's search path in a default session, after the
// global environment: where an unqualified name is looked up.
var DefaultSearchOrder = []string{"stats", "graphics", "grDevices", "utils", "datasets", "methods", "base"}

// indexFormat changes whenever the cached index's meaning changes, so that
// an old cache is rebuilt rather than misread.
const indexFormat = 1

// Index is what the installed R offers by name: per package, its exported
// objects (for base, everything in the base environment), and which of them
// are functions. Unqualified names in user code resolve against it.
type Index struct {
	Format   int                 `json:"format"`
	RVersion string              `json:"r_version"`
	LibPaths []string            `json:"lib_paths"`
	Search   []string            `json:"search"` // default search order, first searched first
	Packages map[string]*Package `json:"packages"`
	Failed   map[string]string   `json:"failed,omitempty"` // packages R could not load -> why
	// Fingerprint identifies the R installation the index was built from.
	Fingerprint string `json:"fingerprint"`

	// searchFn and searchAny resolve a name in the default search order
	// straight to its policy object ("base::mean"), functions only or any
	// object: one map lookup and no allocation per reference.
	searchFn, searchAny map[string]string
}

// Package is one package's exports.
type Package struct {
	Functions []string `json:"functions"` // sorted
	Variables []string `json:"variables"` // sorted; datasets, constants, environments
	funcs     map[string]bool
	vars      map[string]bool
}

func (p *Package) prepare() {
	p.funcs = make(map[string]bool, len(p.Functions))
	for _, n := range p.Functions {
		p.funcs[n] = true
	}
	p.vars = make(map[string]bool, len(p.Variables))
	for _, n := range p.Variables {
		p.vars[n] = true
	}
}

// prepare builds the lookup maps after decoding.
func (ix *Index) prepare() {
	for _, p := range ix.Packages {
		p.prepare()
	}
	ix.searchFn, ix.searchAny = map[string]string{}, map[string]string{}
	for _, pkg := range ix.Search {
		p := ix.Packages[pkg]
		if p == nil {
			continue
		}
		for _, n := range p.Functions {
			obj := FunctionObject(pkg, n)
			if _, ok := ix.searchFn[n]; !ok {
				ix.searchFn[n] = obj
			}
			if _, ok := ix.searchAny[n]; !ok {
				ix.searchAny[n] = obj
			}
		}
		for _, n := range p.Variables {
			if _, ok := ix.searchAny[n]; !ok {
				ix.searchAny[n] = FunctionObject(pkg, n)
			}
		}
	}
}

// resolve finds the policy object of an unqualified name: first in the
// packages the script attached (most recent first), then in the default
// search order.
func (ix *Index) resolve(attached []string, name string, fn bool) (string, bool) {
	if len(attached) > 0 {
		if pkg, ok := ix.lookup(attached, name, fn); ok {
			return FunctionObject(pkg, name), true
		}
	}
	m := ix.searchAny
	if fn {
		m = ix.searchFn
	}
	obj, ok := m[name]
	return obj, ok
}

// HasPackage reports whether pkg is installed.
func (ix *Index) HasPackage(pkg string) bool { _, ok := ix.Packages[pkg]; return ok }

// lookup finds name in the packages of search, in order. Only functions
// count when fn is set: R skips non-function bindings when it looks up the
// function of a call, so `pi(1)` never reaches base::pi.
func (ix *Index) lookup(search []string, name string, fn bool) (string, bool) {
	for _, pkg := range search {
		p := ix.Packages[pkg]
		if p == nil {
			continue
		}
		if p.funcs[name] || (!fn && p.vars[name]) {
			return pkg, true
		}
	}
	return "", false
}

// parseIndexOutput reads what exports.R prints.
func parseIndexOutput(out []byte) (*Index, error) {
	ix := &Index{Format: indexFormat, Packages: map[string]*Package{}, Failed: map[string]string{}}
	var cur *Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		tag, rest, _ := strings.Cut(sc.Text(), "\t")
		switch tag {
		case "R":
			ix.RVersion = rest
		case "L":
			ix.LibPaths = append(ix.LibPaths, rest)
		case "S":
			ix.Search = append(ix.Search, rest)
		case "P":
			if !validPackageName(rest) {
				return nil, fmt.Errorf("exports line %d: invalid package name %q", lineNo, rest)
			}
			cur = &Package{}
			ix.Packages[rest] = cur
		case "F", "V":
			if cur == nil {
				return nil, fmt.Errorf("exports line %d: object before any package", lineNo)
			}
			if tag == "F" {
				cur.Functions = append(cur.Functions, rest)
			} else {
				cur.Variables = append(cur.Variables, rest)
			}
		case "E":
			pkg, msg, _ := strings.Cut(rest, "\t")
			ix.Failed[pkg] = msg
		case "":
			// R may print stray empty lines (e.g. from a package's .onLoad).
		default:
			// Anything else was printed by a package while loading; ignore.
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading exports: %w", err)
	}
	if ix.Packages["base"] == nil || len(ix.Packages["base"].Functions) == 0 {
		return nil, fmt.Errorf("exports of R list no base functions; is this R working?")
	}
	if len(ix.Search) == 0 {
		ix.Search = slices.Clone(DefaultSearchOrder)
	}
	for _, p := range ix.Packages {
		slices.Sort(p.Functions)
		p.Functions = slices.Compact(p.Functions)
		slices.Sort(p.Variables)
		p.Variables = slices.Compact(p.Variables)
	}
	ix.prepare()
	return ix, nil
}

// orderedPackages lists packages in search order first, then the rest by
// name: the order in which an allowlist is handed to the worker.
func (ix *Index) orderedPackages() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ix.Search {
		if ix.Packages[p] != nil && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	var rest []string
	for p := range ix.Packages {
		if !seen[p] {
			rest = append(rest, p)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// Resolve returns the policy object an unqualified name refers to in a
// default session (R's default search order), e.g. "system" ->
// "base::system". Non-function objects count too (pi -> base::pi).
func (ix *Index) Resolve(name string) (string, bool) {
	pkg, ok := ix.lookup(ix.Search, name, false)
	if !ok {
		return "", false
	}
	return FunctionObject(pkg, name), true
}
