package rdata

import (
	"math"
	"strconv"
)

// ALTREP objects arrive as (class info, state, attributes). R 4.x writes
// them in version 3 streams for compact sequences (1:n), wrappers (what
// sort() and friends return) and deferred strings (as.character of
// numbers). They decode to the ordinary vectors they stand for.

func (d *decoder) altrepItem(objf bool, levs int) (*Value, error) {
	info, err := d.item()
	if err != nil {
		return nil, err
	}
	state, err := d.item()
	if err != nil {
		return nil, err
	}
	attr, err := d.item()
	if err != nil {
		return nil, err
	}
	if info.Type != LISTSXP || len(info.Pairs) < 1 || info.Pairs[0].Value.Type != SYMSXP {
		return nil, d.r.fail("malformed ALTREP class information")
	}
	class := info.Pairs[0].Value.Name
	var v *Value
	switch class {
	case "compact_intseq", "compact_realseq":
		v, err = d.compactSeq(class == "compact_intseq", state)
	case "deferred_string":
		v, err = d.deferredString(state)
	case "wrap_integer", "wrap_logical", "wrap_real", "wrap_complex", "wrap_raw", "wrap_string", "wrap_list":
		v, err = d.wrapper(class, state)
	default:
		return nil, d.r.fail("ALTREP class %q is not supported", class)
	}
	if err != nil {
		return nil, err
	}
	v.Object, v.Levels = objf, levs
	switch attr.Type {
	case NILSXP:
	case LISTSXP:
		for _, p := range attr.Pairs {
			if !p.HasTag {
				return nil, d.r.fail("ALTREP attribute without a name")
			}
			v.Attr = append(v.Attr, Attr{Name: p.Tag, Value: p.Value})
		}
	default:
		return nil, d.r.fail("ALTREP attributes are a %s", attr.Type)
	}
	return v, nil
}

func (d *decoder) spend(n int) error {
	if n < 0 || n > d.expand {
		return d.r.fail("ALTREP object of %d elements exceeds the expansion budget (%d left)", n, d.expand)
	}
	d.expand -= n
	return nil
}

// compactSeq expands a compact sequence; its state is (length, first,
// increment) as doubles (R >= 3.6) or integers.
func (d *decoder) compactSeq(isInt bool, state *Value) (*Value, error) {
	var n, n1, inc float64
	switch {
	case state.Type == REALSXP && len(state.Reals) == 3:
		n, n1, inc = state.Reals[0], state.Reals[1], state.Reals[2]
	case state.Type == INTSXP && len(state.Ints) == 3:
		n, n1, inc = float64(state.Ints[0]), float64(state.Ints[1]), float64(state.Ints[2])
	default:
		return nil, d.r.fail("malformed compact sequence state")
	}
	if n < 0 || n != math.Trunc(n) || n > float64(d.expand) || (inc != 1 && inc != -1) || n1 != math.Trunc(n1) {
		return nil, d.r.fail("compact sequence (n=%g, from=%g, by=%g) is invalid or too long", n, n1, inc)
	}
	count := int(n)
	if err := d.spend(count); err != nil {
		return nil, err
	}
	if isInt {
		last := n1 + inc*(n-1)
		if count > 0 && (n1 > math.MaxInt32 || n1 <= math.MinInt32 || last > math.MaxInt32 || last <= math.MinInt32) {
			return nil, d.r.fail("compact integer sequence outside the integer range")
		}
		out := make([]int32, count)
		for i := range out {
			out[i] = int32(n1 + inc*float64(i))
		}
		return &Value{Type: INTSXP, Ints: out}, nil
	}
	out := make([]float64, count)
	for i := range out {
		out[i] = n1 + inc*float64(i)
	}
	return &Value{Type: REALSXP, Reals: out}, nil
}

var wrapType = map[string]Type{
	"wrap_integer": INTSXP, "wrap_logical": LGLSXP, "wrap_real": REALSXP, "wrap_complex": CPLXSXP,
	"wrap_raw": RAWSXP, "wrap_string": STRSXP, "wrap_list": VECSXP,
}

// wrapper unwraps a wrapper object: its state is the dotted pair (x, meta).
func (d *decoder) wrapper(class string, state *Value) (*Value, error) {
	if state.Type != LISTSXP || len(state.Pairs) != 1 || state.Tail == nil {
		return nil, d.r.fail("malformed %s state", class)
	}
	x := state.Pairs[0].Value
	if x.Type != wrapType[class] {
		return nil, d.r.fail("%s wraps a %s", class, x.Type)
	}
	// A shallow copy: the wrapper's attributes replace the payload's.
	c := *x
	c.Attr = nil
	return &c, nil
}

// deferredString expands as.character() of a number vector; its state is
// the dotted pair (numbers, scipen).
func (d *decoder) deferredString(state *Value) (*Value, error) {
	if state.Type == NILSXP {
		return nil, d.r.fail("deferred string without state")
	}
	if state.Type != LISTSXP || len(state.Pairs) != 1 || state.Tail == nil {
		return nil, d.r.fail("malformed deferred string state")
	}
	arg, info := state.Pairs[0].Value, state.Tail
	scipen := 0
	if info.Type == INTSXP && len(info.Ints) >= 1 && info.Ints[0] != NAInteger {
		scipen = int(info.Ints[0])
	}
	switch arg.Type {
	case INTSXP:
		if err := d.spend(len(arg.Ints)); err != nil {
			return nil, err
		}
		out := make([]String, len(arg.Ints))
		for i, x := range arg.Ints {
			if x == NAInteger {
				out[i] = String{NA: true}
			} else {
				out[i] = String{S: strconv.Itoa(int(x)), Enc: EncASCII}
			}
		}
		return &Value{Type: STRSXP, Strings: out}, nil
	case REALSXP:
		if err := d.spend(len(arg.Reals)); err != nil {
			return nil, err
		}
		out := make([]String, len(arg.Reals))
		for i, x := range arg.Reals {
			if IsNAReal(x) {
				out[i] = String{NA: true}
			} else {
				out[i] = String{S: FormatReal15(x, scipen), Enc: EncASCII}
			}
		}
		return &Value{Type: STRSXP, Strings: out}, nil
	}
	return nil, d.r.fail("deferred string of a %s", arg.Type)
}
