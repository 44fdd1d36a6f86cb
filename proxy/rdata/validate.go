package rdata

import (
	"errors"
	"fmt"
)

// ErrNotData is wrapped by the errors of CheckData and CheckTransferable.
var ErrNotData = errors.New("not plain data")

// s4Bit is R's S4_OBJECT_MASK in the gp (levels) field.
const s4Bit = 1 << 4

// CheckData reports whether v is plain data: NULL, atomic vectors, lists
// and pairlists of data, with attributes that are data themselves. It
// refuses closures, language objects and symbols, environments, promises,
// external pointers, byte code, primitives and S4 objects: values whose
// use runs code or reaches outside the value. This is what a client may
// assign in a session.
func CheckData(v *Value) error { return check(v, false, 0) }

// CheckTransferable reports whether v may be handed to a client as an
// evaluation result: plain data, plus symbols, language objects,
// expression vectors, primitives and the markers of the global, base and
// empty environments (which name the client's own). Closures, other
// environments, promises, pointers, byte code and S4 objects are refused.
func CheckTransferable(v *Value) error { return check(v, true, 0) }

func check(v *Value, code bool, depth int) error {
	if v == nil {
		return fmt.Errorf("%w: missing value", ErrNotData)
	}
	if depth > DefaultMaxDepth*4 {
		return fmt.Errorf("%w: nested too deeply", ErrNotData)
	}
	if v.Levels&s4Bit != 0 && v.Type != CHARSXP {
		return fmt.Errorf("%w: an S4 object", ErrNotData)
	}
	switch v.Type {
	case NILSXP, LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP, RAWSXP:
	case VECSXP:
		for _, e := range v.Elems {
			if err := check(e, code, depth+1); err != nil {
				return err
			}
		}
	case LISTSXP:
		if v.Tail != nil {
			return fmt.Errorf("%w: an improper pairlist", ErrNotData)
		}
		for _, p := range v.Pairs {
			if err := checkPair(p, code, depth); err != nil {
				return err
			}
		}
	case SYMSXP:
		if !code || v.Unbound {
			return fmt.Errorf("%w: a symbol (%s)", ErrNotData, describeSym(v))
		}
	case LANGSXP, EXPRSXP:
		if !code {
			return fmt.Errorf("%w: a language object", ErrNotData)
		}
		if v.Tail != nil {
			return fmt.Errorf("%w: an improper call", ErrNotData)
		}
		for _, p := range v.Pairs {
			if err := checkPair(p, code, depth); err != nil {
				return err
			}
		}
		for _, e := range v.Elems {
			if err := check(e, code, depth+1); err != nil {
				return err
			}
		}
	case SPECIALSXP, BUILTINSXP:
		if !code {
			return fmt.Errorf("%w: a function (%s)", ErrNotData, v.Name)
		}
	case ENVSXP:
		switch {
		case !code:
			return fmt.Errorf("%w: an environment", ErrNotData)
		case v.Env == EnvGlobal || v.Env == EnvEmpty || v.Env == EnvBase || v.Env == EnvBaseNamespace:
		default:
			return fmt.Errorf("%w: an environment (rwarden does not hand environments out)", ErrNotData)
		}
	case CLOSXP:
		return fmt.Errorf("%w: a function (closure)", ErrNotData)
	default:
		return fmt.Errorf("%w: a %s object", ErrNotData, v.Type)
	}
	for _, a := range v.Attr {
		if err := check(a.Value, code, depth+1); err != nil {
			return fmt.Errorf("attribute %q: %w", a.Name, err)
		}
	}
	return nil
}

func checkPair(p Pair, code bool, depth int) error {
	if err := check(p.Value, code, depth+1); err != nil {
		return err
	}
	for _, a := range p.Attr {
		if err := check(a.Value, code, depth+1); err != nil {
			return fmt.Errorf("attribute %q: %w", a.Name, err)
		}
	}
	return nil
}

func describeSym(v *Value) string {
	if v.Name == "" {
		return "the missing argument"
	}
	return v.Name
}
