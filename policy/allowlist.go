package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rwarden/rwarden/policy/model"
)

// Allowlist is a user's policy resolved against the installed R: what the
// worker harness (runtime restriction, layer 4) copies into the user's
// evaluation environment and what its checked `::`, `:::` and library()
// accept.
type Allowlist struct {
	// Functions lists every allowed object as "pkg::name", concrete (globs
	// expanded against the exports index), in search order: packages of
	// R's default search path first (stats ... base), then the other
	// installed packages by name. Besides functions it holds the allowed
	// non-function objects a script may name (base::pi, base::letters,
	// datasets::iris), which the environment needs just the same.
	Functions []string
	// Packages lists the installed packages the user may load (library,
	// require, PKG::NAME).
	Packages []string
	// Internal lists the packages whose unexported objects the user may
	// reach with PKG:::NAME.
	Internal []string
	// Dynamic reports whether computed function references (dynamic:call)
	// are allowed.
	Dynamic bool
	// Guards lists the parameters of allowed functions that take a
	// function, code, a formula, an environment or serialized data, from
	// the generated parameter model (policy/model), sorted by function,
	// parameter and kind.
	Guards []Guard
}

// Guard is one parameter of an allowed function that the runtime harness
// wraps (see /work/notes/guards.md for the shared interface).
type Guard struct {
	Function string // "pkg::name", as in Functions
	Param    string // the formal's name, e.g. "FUN", "handler", "..." (for dots)
	Kind     string // one of "fun", "code", "formula", "env", "unserialize"
}

// guardsFor returns the guards of the function pkg::name: its own
// parameters of a kind other than value, and the parameters of the S3
// methods a call of it reaches, except a method's dispatch argument (its
// first formal) and formals the generic has itself: a guard at the
// generic applies to every call whatever the dispatch, and what one method
// does with its x (split.data.frame evaluates in it, formula.default
// evaluates it) says nothing of the others. Formula parameters are the
// exception: the runtime check of a formula acts only on formulas and on
// strings that parse as one (model.frame("y ~ Sys.getenv('HOME')")
// reaches model.frame.default, which evaluates it), and passes any other
// value as it is, whatever the method. The harness checks a method's other
// formals among the generic's ... by name; the static check covers the
// rest.
func guardsFor(m *model.Model, pkg, name string) []Guard {
	fn := m.Lookup(pkg, name)
	if fn == nil {
		return nil
	}
	obj := FunctionObject(pkg, name)
	var own []string
	for _, sig := range fn.Sigs {
		if sig.Method == "" {
			own = sig.Formals
		}
	}
	var out []Guard
	for _, sig := range fn.Sigs {
		for _, p := range sig.Params {
			if sig.Method != "" && p.Kind != model.Formula && (slices.Contains(own, p.Name) || (len(sig.Formals) > 0 && sig.Formals[0] == p.Name)) {
				continue
			}
			g := Guard{Function: obj, Param: p.Name, Kind: string(p.Kind)}
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// Allowlist resolves the user's runtime allowlist. It is computed once per
// user and policy generation; a reload drops it with the old policy.
func (e *Engine) Allowlist(user string) (*Allowlist, error) {
	s := e.snap()
	if err := e.checkUser(s, user); err != nil {
		return nil, err
	}
	if a, ok := s.allowlists.Load(user); ok {
		return a.(*Allowlist), nil
	}
	a, err := e.buildAllowlist(s, user)
	if err != nil {
		return nil, fmt.Errorf("resolving the allowlist of %s: %w", user, err)
	}
	actual, _ := s.allowlists.LoadOrStore(user, a)
	return actual.(*Allowlist), nil
}

func (e *Engine) buildAllowlist(s *snapshot, user string) (*Allowlist, error) {
	a := &Allowlist{Functions: []string{}, Packages: []string{}, Internal: []string{}, Guards: []Guard{}}
	pm, err := model.Shipped()
	if err != nil {
		return nil, fmt.Errorf("loading the parameter model: %w", err)
	}
	allowed := func(obj, act string) (bool, error) {
		d, err := s.decide(user, obj, act)
		return d.allowed, err
	}
	if a.Dynamic, err = allowed(DynamicCall, ActCall); err != nil {
		return nil, err
	}
	for _, pkg := range e.index.orderedPackages() {
		loadable, err := allowed(PackageObject(pkg), ActLoad)
		if err != nil {
			return nil, err
		}
		if loadable {
			a.Packages = append(a.Packages, pkg)
			internal, err := allowed(InternalObject(pkg), ActCall)
			if err != nil {
				return nil, err
			}
			if internal {
				a.Internal = append(a.Internal, pkg)
			}
		} else if pkg != "base" {
			// Functions of a package the user may not load are unusable;
			// base is always there.
			continue
		}
		p := e.index.Packages[pkg]
		for _, names := range [][]string{p.Functions, p.Variables} {
			for _, name := range names {
				obj := FunctionObject(pkg, name)
				ok, err := allowed(obj, ActCall)
				if err != nil {
					return nil, err
				}
				if ok {
					a.Functions = append(a.Functions, obj)
					a.Guards = append(a.Guards, guardsFor(pm, pkg, name)...)
				}
			}
		}
	}
	slices.SortFunc(a.Guards, func(x, y Guard) int {
		if x.Function != y.Function {
			return strings.Compare(x.Function, y.Function)
		}
		if x.Param != y.Param {
			return strings.Compare(x.Param, y.Param)
		}
		return strings.Compare(x.Kind, y.Kind)
	})
	a.Guards = slices.Compact(a.Guards)
	return a, nil
}
