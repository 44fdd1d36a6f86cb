package rdata

import "math"

// EqualLang reports whether two values are the same object in the sense
// of identical(): same types, attributes, names, tags and elements. Any
// two NaNs that are not NA are equal, NA_real_ only equals NA_real_, and
// strings compare by their text in UTF-8. The OBJECT bit and gp levels are
// not compared (R derives the first from the class attribute).
func EqualLang(a, b *Value) bool { return equal(a, b, 0) }

func equal(a, b *Value, depth int) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || depth > DefaultMaxDepth*4 {
		return false
	}
	if a.Type != b.Type || !equalAttrs(a.Attr, b.Attr, depth) {
		return false
	}
	switch a.Type {
	case NILSXP:
		return true
	case SYMSXP:
		return a.Name == b.Name && a.Unbound == b.Unbound
	case LGLSXP, INTSXP:
		if len(a.Ints) != len(b.Ints) {
			return false
		}
		for i := range a.Ints {
			if a.Ints[i] != b.Ints[i] {
				return false
			}
		}
		return true
	case REALSXP:
		if len(a.Reals) != len(b.Reals) {
			return false
		}
		for i := range a.Reals {
			if !sameReal(a.Reals[i], b.Reals[i]) {
				return false
			}
		}
		return true
	case CPLXSXP:
		if len(a.Complex) != len(b.Complex) {
			return false
		}
		for i := range a.Complex {
			if !sameReal(real(a.Complex[i]), real(b.Complex[i])) || !sameReal(imag(a.Complex[i]), imag(b.Complex[i])) {
				return false
			}
		}
		return true
	case STRSXP:
		if len(a.Strings) != len(b.Strings) {
			return false
		}
		for i := range a.Strings {
			x, y := a.Strings[i], b.Strings[i]
			if x.NA || y.NA {
				if x.NA != y.NA {
					return false
				}
				continue
			}
			xs, xok := x.UTF8()
			ys, yok := y.UTF8()
			if xok != yok || xs != ys {
				return false
			}
		}
		return true
	case RAWSXP:
		return string(a.Raw) == string(b.Raw)
	case VECSXP, EXPRSXP:
		if len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !equal(a.Elems[i], b.Elems[i], depth+1) {
				return false
			}
		}
		return true
	case LISTSXP, LANGSXP, DOTSXP:
		if len(a.Pairs) != len(b.Pairs) || (a.Tail == nil) != (b.Tail == nil) {
			return false
		}
		for i := range a.Pairs {
			p, q := a.Pairs[i], b.Pairs[i]
			if p.HasTag != q.HasTag || p.Tag != q.Tag || !equalAttrs(p.Attr, q.Attr, depth) || !equal(p.Value, q.Value, depth+1) {
				return false
			}
		}
		return a.Tail == nil || equal(a.Tail, b.Tail, depth+1)
	case SPECIALSXP, BUILTINSXP:
		return a.Name == b.Name
	case S4SXP:
		return true // an S4 object is its attributes, compared above
	case ENVSXP:
		return a.Env == b.Env && a.Env != EnvPlain && equalNames(a.Names, b.Names)
	}
	// Closures, promises, pointers and the like are never equal: their
	// contents were not kept.
	return false
}

func equalNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameReal(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y) && IsNAReal(x) == IsNAReal(y)
	}
	return math.Float64bits(x) == math.Float64bits(y)
}

func equalAttrs(a, b []Attr, depth int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !equal(a[i].Value, b[i].Value, depth+1) {
			return false
		}
	}
	return true
}
