package model

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// Kind is how R uses a parameter.
type Kind string

// Parameter kinds.
const (
	Fun         Kind = "fun"         // looked up or called as a function
	Code        Kind = "code"        // evaluated as R code
	Formula     Kind = "formula"     // a formula, or a string made into one
	Env         Kind = "env"         // used as an environment
	Unserialize Kind = "unserialize" // unserialized (or sourced) data
)

// Param is one parameter of a signature that is not a plain value.
type Param struct {
	Name string
	Kind Kind
	// Written is set for code R evaluates as the caller wrote it (a
	// promise forced, substitute()): the analysis sees that code.
	Written bool
	// Parsed is set for code given as text and parsed.
	Parsed bool
	// Carries, for ..., names the formals of a callee its arguments may
	// reach; empty means any argument in ... is of Kind.
	Carries []string
	Why     string
}

// Signature is one set of formals a call may be matched against: the
// function's own, or an S3 method's that a call of the generic reaches.
type Signature struct {
	Method  string // "" for the function's own formals
	Formals []string
	Params  []Param
}

// Function is a modelled function with at least one such parameter.
type Function struct {
	Pkg, Name string
	Sigs      []Signature
}

// Model is the parsed parameter model.
type Model struct {
	// Header is the generator's first line (R and package versions).
	Header string
	byName map[string][]*Function
	byKey  map[string]*Function
}

//go:embed params.tsv
var paramsTSV string

var (
	once     sync.Once
	shipped  *Model
	errModel error
)

// Shipped returns the embedded model. It panics never: a broken embedded
// file is returned as an error (a test keeps it parseable).
func Shipped() (*Model, error) {
	once.Do(func() { shipped, errModel = Parse(paramsTSV) })
	return shipped, errModel
}

// maxFields bounds one line's fields.
const numFields = 9

// Parse reads a params.tsv text.
func Parse(text string) (*Model, error) {
	m := &Model{byName: map[string][]*Function{}, byKey: map[string]*Function{}}
	for i, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if m.Header == "" {
				m.Header = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			}
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != numFields {
			return nil, fmt.Errorf("params.tsv:%d: %d fields, want %d", i+1, len(f), numFields)
		}
		pkg, name, method, formals, param, kind, written, carries, why := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]
		switch Kind(kind) {
		case Fun, Code, Formula, Env, Unserialize:
		default:
			return nil, fmt.Errorf("params.tsv:%d: unknown kind %q", i+1, kind)
		}
		key := pkg + "::" + name
		fn := m.byKey[key]
		if fn == nil {
			fn = &Function{Pkg: pkg, Name: name}
			m.byKey[key] = fn
			m.byName[name] = append(m.byName[name], fn)
		}
		var sig *Signature
		for j := range fn.Sigs {
			if fn.Sigs[j].Method == method {
				sig = &fn.Sigs[j]
			}
		}
		if sig == nil {
			var fs []string
			if formals != "" {
				fs = strings.Split(formals, ",")
			}
			fn.Sigs = append(fn.Sigs, Signature{Method: method, Formals: fs})
			sig = &fn.Sigs[len(fn.Sigs)-1]
		}
		p := Param{Name: param, Kind: Kind(kind), Written: written == "written", Why: why}
		p.Parsed = p.Kind == Code && !p.Written && isParsedWhy(why)
		if carries != "" {
			p.Carries = strings.Split(carries, ",")
		}
		sig.Params = append(sig.Params, p)
	}
	return m, nil
}

// isParsedWhy reports whether a parameter's code is text that R parses
// (parse, str2lang, str2expression, source, sys.source, dget and what
// passes its argument to them).
func isParsedWhy(why string) bool {
	for _, s := range []string{"parse", "str2lang", "str2expression", "source", "dget", "parsed"} {
		if strings.Contains(why, s) {
			return true
		}
	}
	return false
}

// Lookup returns the function pkg::name, or nil.
func (m *Model) Lookup(pkg, name string) *Function { return m.byKey[pkg+"::"+name] }

// ByName returns every modelled function called name, in any package.
func (m *Model) ByName(name string) []*Function { return m.byName[name] }

// Functions returns every modelled function.
func (m *Model) Functions() []*Function {
	out := make([]*Function, 0, len(m.byKey))
	for _, f := range m.byKey {
		out = append(out, f)
	}
	return out
}
