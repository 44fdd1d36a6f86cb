package rdata

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// FromSyntax builds the language object R's parser makes (with
// keep.source = FALSE) from a policy/rsyntax tree. Numeric constants are
// converted only where the conversion is exact without R's own strtod:
// integers, decimal integers up to 2^53 and hexadecimal constants; other
// spellings are an error (they are never produced by Deparse).
func FromSyntax(n rsyntax.Node) (*Value, error) {
	switch n := n.(type) {
	case *rsyntax.Symbol:
		return Sym(n.Name), nil
	case *rsyntax.String:
		if utf8.ValidString(n.Value) {
			return &Value{Type: STRSXP, Strings: []String{Str(n.Value)}}, nil
		}
		return &Value{Type: STRSXP, Strings: []String{{S: n.Value, Enc: EncBytes}}}, nil
	case *rsyntax.Num:
		return numFromText(n)
	case *rsyntax.Const:
		return constFromName(n.Name)
	case *rsyntax.Call:
		fn, err := FromSyntax(n.Fn)
		if err != nil {
			return nil, err
		}
		return callFromArgs(fn, nil, n.Args)
	case *rsyntax.Index:
		x, err := FromSyntax(n.X)
		if err != nil {
			return nil, err
		}
		name := "["
		if n.Double {
			name = "[["
		}
		return callFromArgs(Sym(name), x, n.Args)
	case *rsyntax.Unary:
		x, err := FromSyntax(n.X)
		if err != nil {
			return nil, err
		}
		return Call(Sym(n.Op), x), nil
	case *rsyntax.Binary:
		x, err := FromSyntax(n.X)
		if err != nil {
			return nil, err
		}
		y, err := FromSyntax(n.Y)
		if err != nil {
			return nil, err
		}
		return Call(Sym(n.Op), x, y), nil
	case *rsyntax.Paren:
		x, err := FromSyntax(n.X)
		if err != nil {
			return nil, err
		}
		return Call(Sym("("), x), nil
	case *rsyntax.Block:
		args := make([]*Value, len(n.Exprs))
		for i, e := range n.Exprs {
			x, err := FromSyntax(e)
			if err != nil {
				return nil, err
			}
			args[i] = x
		}
		return Call(Sym("{"), args...), nil
	case *rsyntax.If:
		parts := []rsyntax.Node{n.Cond, n.Then}
		if n.Else != nil {
			parts = append(parts, n.Else)
		}
		return callOf("if", parts...)
	case *rsyntax.For:
		return callOf("for", n.Var, n.Seq, n.Body)
	case *rsyntax.While:
		return callOf("while", n.Cond, n.Body)
	case *rsyntax.Repeat:
		return callOf("repeat", n.Body)
	case *rsyntax.Break:
		return Call(Sym("break")), nil
	case *rsyntax.Next:
		return Call(Sym("next")), nil
	case *rsyntax.Function:
		formals := Null()
		if len(n.Params) > 0 {
			formals = &Value{Type: LISTSXP}
			for _, p := range n.Params {
				def := Missing()
				if p.Default != nil {
					d, err := FromSyntax(p.Default)
					if err != nil {
						return nil, err
					}
					def = d
				}
				formals.Pairs = append(formals.Pairs, Pair{Tag: p.Name.Name, HasTag: true, Value: def})
			}
		}
		body, err := FromSyntax(n.Body)
		if err != nil {
			return nil, err
		}
		return Call(Sym("function"), formals, body), nil
	}
	return nil, fmt.Errorf("no R object for syntax node %T", n)
}

func callOf(name string, parts ...rsyntax.Node) (*Value, error) {
	args := make([]*Value, len(parts))
	for i, p := range parts {
		x, err := FromSyntax(p)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	return Call(Sym(name), args...), nil
}

func callFromArgs(fn, first *Value, args []rsyntax.Arg) (*Value, error) {
	v := &Value{Type: LANGSXP, Pairs: []Pair{{Value: fn}}}
	if first != nil {
		v.Pairs = append(v.Pairs, Pair{Value: first})
	}
	for _, a := range args {
		p := Pair{Tag: a.Name, HasTag: a.HasName, Value: Missing()}
		if a.Value != nil {
			x, err := FromSyntax(a.Value)
			if err != nil {
				return nil, err
			}
			p.Value = x
		}
		v.Pairs = append(v.Pairs, p)
	}
	return v, nil
}

func constFromName(name string) (*Value, error) {
	switch name {
	case "NULL":
		return Null(), nil
	case "NA":
		return Logicals(NAInteger), nil
	case "TRUE":
		return Logicals(1), nil
	case "FALSE":
		return Logicals(0), nil
	case "Inf":
		return Reals(math.Inf(1)), nil
	case "NaN":
		return Reals(math.NaN()), nil
	case "NA_integer_":
		return Ints(NAInteger), nil
	case "NA_real_":
		return Reals(NAReal), nil
	case "NA_character_":
		return &Value{Type: STRSXP, Strings: []String{{NA: true}}}, nil
	case "NA_complex_":
		return &Value{Type: CPLXSXP, Complex: []complex128{complex(NAReal, NAReal)}}, nil
	}
	return nil, fmt.Errorf("unknown constant %s", name)
}

func numFromText(n *rsyntax.Num) (*Value, error) {
	text := n.Text
	switch n.Type {
	case rsyntax.NumInteger:
		x, ok := exactNumber(strings.TrimSuffix(text, "L"))
		if !ok || x > math.MaxInt32 {
			return nil, fmt.Errorf("cannot convert integer constant %s exactly", text)
		}
		return Ints(int32(x)), nil
	case rsyntax.NumComplex:
		x, ok := exactNumber(strings.TrimSuffix(text, "i"))
		if !ok {
			return nil, fmt.Errorf("cannot convert complex constant %s exactly", text)
		}
		return &Value{Type: CPLXSXP, Complex: []complex128{complex(0, x)}}, nil
	}
	x, ok := exactNumber(text)
	if !ok {
		return nil, fmt.Errorf("cannot convert numeric constant %s exactly", text)
	}
	return Reals(x), nil
}

// exactNumber converts the spellings whose value needs no rounding
// decision: decimal integers below 2^53 and hexadecimal constants.
func exactNumber(s string) (float64, bool) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		if strings.ContainsAny(s, "pP") {
			v, err := strconv.ParseFloat(s, 64)
			return v, err == nil
		}
		if strings.Contains(s, ".") || len(s) > 2+13 {
			return 0, false
		}
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(v), err == nil
	}
	if s == "" || len(s) > 16 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v >= 1<<53 {
		return 0, false
	}
	return float64(v), true
}
