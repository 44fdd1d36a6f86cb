package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Acts of a request.
const (
	ActCall = "call"
	ActLoad = "load"
)

// Object prefixes. See the package documentation for the grammar.
const (
	globPrefix     = "glob:"
	pkgPrefix      = "pkg:"
	internalPrefix = "internal:"
	// DynamicCall is the capability requested for a computed function
	// reference, something the static analysis cannot name.
	DynamicCall = "dynamic:call"
	// FilesWorkspace is the capability of listing, downloading and
	// uploading the files of one's own workspace from outside R (rwarden
	// files, QAP1's file commands); R code in a session reaches the
	// workspace without it. Denied unless granted.
	FilesWorkspace = "files:workspace"
)

// objectKind classifies an exact (non-glob) object.
type objectKind int

const (
	kindInvalid objectKind = iota
	kindFunction
	kindPackage
	kindCapability
)

// FunctionObject returns the policy object for name in package pkg.
func FunctionObject(pkg, name string) string { return pkg + "::" + name }

// PackageObject returns the policy object for loading package pkg.
func PackageObject(pkg string) string { return pkgPrefix + pkg }

// InternalObject returns the capability object for pkg:::name access.
func InternalObject(pkg string) string { return internalPrefix + pkg }

// validPackageName reports whether s is a syntactically valid R package
// name: ASCII letters, digits and '.', starting with a letter, not ending
// with '.'. (R requires two characters for CRAN; base packages are longer.)
func validPackageName(s string) bool {
	if s == "" || !isASCIILetter(s[0]) || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !(c >= '0' && c <= '9') && c != '.' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// splitFunction splits "PKG::NAME" into its parts. The package part is the
// longest run of package-name characters at the start, so "base::::" is
// base and the function `::`.
func splitFunction(obj string) (pkg, name string, ok bool) {
	i := 0
	for i < len(obj) && obj[i] != ':' {
		i++
	}
	pkg = obj[:i]
	if !validPackageName(pkg) || !strings.HasPrefix(obj[i:], "::") {
		return "", "", false
	}
	name = obj[i+2:]
	if name == "" {
		return "", "", false
	}
	return pkg, name, true
}

// classifyObject tells what an exact object names, or kindInvalid.
func classifyObject(obj string) objectKind {
	if _, _, ok := splitFunction(obj); ok {
		return kindFunction
	}
	switch {
	case strings.HasPrefix(obj, pkgPrefix):
		if validPackageName(obj[len(pkgPrefix):]) {
			return kindPackage
		}
	case strings.HasPrefix(obj, internalPrefix):
		if validPackageName(obj[len(internalPrefix):]) {
			return kindCapability
		}
	case obj == DynamicCall, obj == FilesWorkspace:
		return kindCapability
	}
	return kindInvalid
}

// isGlob reports whether a policy object is a glob: pattern.
func isGlob(obj string) bool { return strings.HasPrefix(obj, globPrefix) }

// globPattern is a compiled glob: pattern: literal segments separated by
// '*' wildcards.
type globPattern struct {
	// parts are the literal runs between stars; a pattern "a*b*" has parts
	// ["a", "b", ""]. len(parts) == stars+1.
	parts []string
}

// errPattern is wrapped by every pattern syntax error.
var errPattern = errors.New("invalid object pattern")

// compileGlob compiles the text after "glob:".
func compileGlob(pat string) (*globPattern, error) {
	if pat == "" {
		return nil, fmt.Errorf("%w: empty glob", errPattern)
	}
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case '\\':
			if i+1 >= len(pat) || (pat[i+1] != '*' && pat[i+1] != '\\') {
				return nil, fmt.Errorf(`%w: %q: a backslash must be followed by '*' or '\' (only '*' is special in globs)`, errPattern, globPrefix+pat)
			}
			i++
			cur.WriteByte(pat[i])
		case '*':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	return &globPattern{parts: parts}, nil
}

// match reports whether s matches the pattern. Greedy matching of the last
// part and leftmost matching of the middle parts is exact for '*'-only
// globs, and linear in len(s) per part.
func (g *globPattern) match(s string) bool {
	if len(g.parts) == 1 {
		return s == g.parts[0]
	}
	first, last := g.parts[0], g.parts[len(g.parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range g.parts[1 : len(g.parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// pattern is a compiled policy object: exact or glob.
type pattern struct {
	exact string
	glob  *globPattern
}

func (p *pattern) match(obj string) bool {
	if p.glob != nil {
		return p.glob.match(obj)
	}
	return p.exact == obj
}

// compilePattern validates a policy object for act and compiles it. Exact
// objects must have the form the act requests (a package for load, a
// function or capability for call) so that a typo is a load error, not a
// silently dead rule.
func compilePattern(obj, act string) (*pattern, error) {
	if isGlob(obj) {
		g, err := compileGlob(obj[len(globPrefix):])
		if err != nil {
			return nil, err
		}
		return &pattern{glob: g}, nil
	}
	switch kind := classifyObject(obj); {
	case kind == kindInvalid:
		if strings.ContainsAny(obj, "*") && !strings.Contains(obj, "::") {
			return nil, fmt.Errorf("%w: %q: write glob patterns as glob:%s", errPattern, obj, obj)
		}
		return nil, fmt.Errorf("%w: %q: expected PKG::NAME, pkg:PKG, internal:PKG, %s or glob:PATTERN", errPattern, obj, DynamicCall)
	case act == ActLoad && kind != kindPackage:
		return nil, fmt.Errorf("%w: %q: act load needs a package object pkg:PKG", errPattern, obj)
	case act == ActCall && kind == kindPackage:
		return nil, fmt.Errorf("%w: %q: a package object needs act load", errPattern, obj)
	}
	if pkg, name, ok := splitFunction(obj); ok && strings.Contains(name, "*") && !(pkg == "base" && (name == "*" || name == "%*%")) {
		return nil, fmt.Errorf("%w: %q: '*' is a wildcard only in glob: patterns; write glob:%s to match every object of %s, or name one object", errPattern, obj, obj, pkg)
	}
	return &pattern{exact: obj}, nil
}
