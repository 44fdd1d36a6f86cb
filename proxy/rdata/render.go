package rdata

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// The renderer behind Deparse: operators infix where R's precedence lets
// the tree through unchanged, prefix form (`+`(a, b)) where it would not.

// Precedence levels of R's grammar (gram.y), higher binds tighter.
const (
	precStmt    = 0 // if, for, while, repeat, function: only where a whole expression may stand
	precHelp    = 1 // ? (unary and binary)
	precAssign  = 2 // <- <<- (right)
	precTilde   = 3 // ~
	precOr      = 4 // | ||
	precAnd     = 5 // & &&
	precNot     = 6 // !
	precCompare = 7 // == != < > <= >= (non-associative)
	precSum     = 8 // + -
	precProd    = 9 // * /
	precSpecial = 10
	precColon   = 11
	precUnary   = 12 // unary + -
	precPower   = 13 // ^ (right)
	precDollar  = 14 // $ @
	precNS      = 15 // :: :::
	precPostfix = 16 // calls, [ ], [[ ]], atoms
)

type assoc uint8

const (
	assocLeft assoc = iota
	assocRight
	assocNone
)

var binaryOps = map[string]struct {
	prec  int
	assoc assoc
}{
	"?": {precHelp, assocLeft}, "<-": {precAssign, assocRight}, "<<-": {precAssign, assocRight},
	"~": {precTilde, assocLeft}, "|": {precOr, assocLeft}, "||": {precOr, assocLeft},
	"&": {precAnd, assocLeft}, "&&": {precAnd, assocLeft},
	"==": {precCompare, assocNone}, "!=": {precCompare, assocNone}, "<": {precCompare, assocNone},
	">": {precCompare, assocNone}, "<=": {precCompare, assocNone}, ">=": {precCompare, assocNone},
	"+": {precSum, assocLeft}, "-": {precSum, assocLeft}, "*": {precProd, assocLeft}, "/": {precProd, assocLeft},
	":": {precColon, assocLeft}, "^": {precPower, assocRight},
}

type deparser struct {
	prefix bool // render every operator call in prefix form
	depth  int
}

func (d *deparser) top(v *Value) (string, error) {
	s, _, err := d.expr(v)
	return s, err
}

// expr renders v and returns the precedence of the rendering.
func (d *deparser) expr(v *Value) (string, int, error) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > rsyntax.DefaultMaxDepth {
		return "", 0, fmt.Errorf("%w: nested deeper than %d levels", ErrNotExact, rsyntax.DefaultMaxDepth)
	}
	switch v.Type {
	case SYMSXP:
		if v.Unbound || v.Name == "" {
			return "", 0, fmt.Errorf("%w: the missing argument outside an argument list", ErrNotExact)
		}
		s, err := symbolText(v.Name)
		return s, precPostfix, err
	case LANGSXP:
		if len(v.Attr) > 0 {
			return "", 0, fmt.Errorf("%w: a call with attributes", ErrNotExact)
		}
		return d.call(v)
	}
	s, err := constant(v)
	return s, precPostfix, err
}

// operand renders v as an operand that must bind at least as tightly as
// need; otherwise v is written in prefix form, which always does.
func (d *deparser) operand(v *Value, need int) (string, error) {
	s, p, err := d.expr(v)
	if err != nil {
		return "", err
	}
	return d.place(v, s, p, need)
}

// place is operand for a rendering s of precedence p already made (each
// subtree is rendered once per mode, so fallbacks stay polynomial).
func (d *deparser) place(v *Value, s string, p, need int) (string, error) {
	if p >= need {
		return s, nil
	}
	if v.Type != LANGSXP || d.prefix {
		return "", fmt.Errorf("%w: cannot place an operand", ErrNotExact)
	}
	pd := &deparser{prefix: true, depth: d.depth}
	s, p, err := pd.expr(v)
	if err != nil {
		return "", err
	}
	if p < need {
		return "", fmt.Errorf("%w: cannot place an operand", ErrNotExact)
	}
	return s, nil
}

func (d *deparser) call(v *Value) (string, int, error) {
	fn := v.Pairs[0].Value
	args := v.Pairs[1:]
	if v.Pairs[0].HasTag {
		return "", 0, fmt.Errorf("%w: a call whose function is tagged", ErrNotExact)
	}
	if fn.Type == SYMSXP && !fn.Unbound && fn.Name != "" {
		// A function definition has no prefix form: its formals are a
		// pairlist, which R source can only write as function(...).
		if !d.prefix || fn.Name == "function" {
			if s, p, ok, err := d.special(fn.Name, args); ok || err != nil {
				return s, p, err
			}
		}
	}
	var head string
	switch fn.Type {
	case SYMSXP:
		if fn.Unbound || fn.Name == "" {
			return "", 0, fmt.Errorf("%w: a call of the missing argument", ErrNotExact)
		}
		s, err := symbolText(fn.Name)
		if err != nil {
			return "", 0, err
		}
		head = s
	case LANGSXP:
		// x$f(1) and pkg::f(1) call x$f and pkg::f: $, @, :: and :::
		// bind tighter than a call's parentheses.
		s, err := d.operand(fn, precDollar)
		if err != nil {
			return "", 0, err
		}
		head = s
	case STRSXP:
		// The parser turns "f"(x) into a call of the symbol f.
		return "", 0, fmt.Errorf("%w: a call of a string", ErrNotExact)
	default:
		// 1(x) is syntax (it fails when evaluated, as in R).
		s, err := constant(fn)
		if err != nil {
			return "", 0, fmt.Errorf("%w: a call of a %s", ErrNotExact, fn.Type)
		}
		head = s
	}
	list, err := d.args(args)
	if err != nil {
		return "", 0, err
	}
	return head + "(" + list + ")", precPostfix, nil
}

func (d *deparser) args(args []Pair) (string, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		var b strings.Builder
		if len(a.Attr) > 0 {
			return "", fmt.Errorf("%w: an argument cell with attributes", ErrNotExact)
		}
		if a.HasTag {
			if a.Tag == "" {
				return "", fmt.Errorf("%w: an argument named with the empty name", ErrNotExact)
			}
			t, err := symbolText(a.Tag)
			if err != nil {
				return "", err
			}
			b.WriteString(t)
			b.WriteString(" =")
			if !a.Value.IsMissingArg() {
				b.WriteByte(' ')
			}
		}
		if !a.Value.IsMissingArg() {
			s, _, err := d.expr(a.Value)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ", "), nil
}

func untagged(args []Pair) bool {
	for _, a := range args {
		if a.HasTag || len(a.Attr) > 0 || a.Value.IsMissingArg() {
			return false
		}
	}
	return true
}

// special renders the calls that R's syntax writes other than f(args):
// operators, brackets, braces, control flow and function definitions.
// ok is false when the call is not one of them (or not in a shape the
// syntax can express), and the caller writes it as a plain call.
func (d *deparser) special(name string, args []Pair) (string, int, bool, error) {
	n := len(args)
	switch {
	case name == "(" && n == 1 && untagged(args):
		s, _, err := d.expr(args[0].Value)
		return "(" + s + ")", precPostfix, true, err
	case name == "{" && untagged(args):
		var b strings.Builder
		b.WriteString("{")
		for _, a := range args {
			s, _, err := d.expr(a.Value)
			if err != nil {
				return "", 0, true, err
			}
			b.WriteString("\n")
			b.WriteString(s)
		}
		b.WriteString("\n}")
		return b.String(), precPostfix, true, nil
	case (name == "[" || name == "[[") && n >= 1 && !args[0].HasTag && !args[0].Value.IsMissingArg() && len(args[0].Attr) == 0:
		x, err := d.operand(args[0].Value, precDollar)
		if err != nil {
			return "", 0, true, err
		}
		list, err := d.args(args[1:])
		if err != nil {
			return "", 0, true, err
		}
		if name == "[" {
			return x + "[" + list + "]", precPostfix, true, nil
		}
		return x + "[[" + list + "]]", precPostfix, true, nil
	case name == "if" && (n == 2 || n == 3) && untagged(args):
		c, _, err := d.expr(args[0].Value)
		if err != nil {
			return "", 0, true, err
		}
		t, _, err := d.expr(args[1].Value)
		if err != nil {
			return "", 0, true, err
		}
		s := "if (" + c + ") " + t
		if n == 3 {
			e, _, err := d.expr(args[2].Value)
			if err != nil {
				return "", 0, true, err
			}
			s += " else " + e
		}
		return s, precStmt, true, nil
	case name == "for" && n == 3 && untagged(args) && args[0].Value.Type == SYMSXP:
		v, err := symbolText(args[0].Value.Name)
		if err != nil {
			return "", 0, true, err
		}
		seq, _, err := d.expr(args[1].Value)
		if err != nil {
			return "", 0, true, err
		}
		body, _, err := d.expr(args[2].Value)
		if err != nil {
			return "", 0, true, err
		}
		return "for (" + v + " in " + seq + ") " + body, precStmt, true, nil
	case name == "while" && n == 2 && untagged(args):
		c, _, err := d.expr(args[0].Value)
		if err != nil {
			return "", 0, true, err
		}
		body, _, err := d.expr(args[1].Value)
		if err != nil {
			return "", 0, true, err
		}
		return "while (" + c + ") " + body, precStmt, true, nil
	case name == "repeat" && n == 1 && untagged(args):
		body, _, err := d.expr(args[0].Value)
		if err != nil {
			return "", 0, true, err
		}
		return "repeat " + body, precStmt, true, nil
	case (name == "break" || name == "next") && n == 0:
		return name, precPostfix, true, nil
	case name == "function" && n == 2 && !args[0].HasTag && !args[1].HasTag:
		return d.function(args[0].Value, args[1].Value)
	case (name == "-" || name == "+") && n == 1 && untagged(args):
		return d.unary(name, precUnary, precPower, args[0].Value)
	case name == "!" && n == 1 && untagged(args):
		return d.unary(name, precNot, precCompare, args[0].Value)
	case name == "~" && n == 1 && untagged(args):
		return d.unary(name, precTilde, precOr, args[0].Value)
	case name == "?" && n == 1 && untagged(args):
		return d.unary(name, precHelp, precAssign, args[0].Value)
	case (name == "$" || name == "@") && n == 2 && untagged(args):
		x, err := d.operand(args[0].Value, precDollar)
		if err != nil {
			return "", 0, true, err
		}
		var y string
		switch r := args[1].Value; {
		case r.Type == SYMSXP:
			y, err = symbolText(r.Name)
		case r.Type == STRSXP && len(r.Strings) == 1 && len(r.Attr) == 0 && !r.Strings[0].NA:
			y, err = constant(r)
		default:
			return "", 0, false, nil
		}
		return x + name + y, precDollar, true, err
	case (name == "::" || name == ":::") && n == 2 && untagged(args):
		var parts [2]string
		for i, a := range args {
			var err error
			switch r := a.Value; {
			case r.Type == SYMSXP:
				parts[i], err = symbolText(r.Name)
			case r.Type == STRSXP && len(r.Strings) == 1 && len(r.Attr) == 0 && !r.Strings[0].NA:
				parts[i], err = constant(r)
			default:
				return "", 0, false, nil
			}
			if err != nil {
				return "", 0, true, err
			}
		}
		return parts[0] + name + parts[1], precNS, true, nil
	case n == 2 && untagged(args) && isSpecialOp(name):
		return d.binary(name, precSpecial, assocLeft, args)
	case n == 2 && untagged(args):
		if op, ok := binaryOps[name]; ok {
			return d.binary(name, op.prec, op.assoc, args)
		}
	}
	return "", 0, false, nil
}

// unary writes a prefix operator. Its operand must bind at least as
// tightly as need, except that another prefix operator may follow it (as in
// !!x or -!x); the result then binds only as tightly as the weaker of the
// two, since what follows is taken by the inner operator.
func (d *deparser) unary(name string, prec, need int, x *Value) (string, int, bool, error) {
	s, p, err := d.expr(x)
	if err != nil {
		return "", 0, true, err
	}
	switch {
	case p >= need:
	case isUnaryCall(x) && p > precStmt:
		prec = min(prec, p)
	default:
		if s, err = d.place(x, s, p, need); err != nil {
			return "", 0, true, err
		}
	}
	return name + s, prec, true, nil
}

func isUnaryCall(v *Value) bool {
	if v.Type != LANGSXP || len(v.Pairs) != 2 || !untagged(v.Pairs[1:]) {
		return false
	}
	f := v.Pairs[0].Value
	return f.Type == SYMSXP && (f.Name == "-" || f.Name == "+" || f.Name == "!" || f.Name == "~")
}

func (d *deparser) binary(name string, prec int, a assoc, args []Pair) (string, int, bool, error) {
	lmin, rmin := prec, prec+1
	switch a {
	case assocRight:
		lmin, rmin = prec+1, prec
	case assocNone:
		lmin, rmin = prec+1, prec+1
	}
	l, err := d.operand(args[0].Value, lmin)
	if err != nil {
		return "", 0, true, err
	}
	// A right operand such as function(x) x or if (a) b takes everything
	// after it, so it may stand last; the whole then binds as loosely.
	r, rp, err := d.expr(args[1].Value)
	switch {
	case err != nil:
		return "", 0, true, err
	case rp == precStmt:
		prec = precStmt
	case rp < rmin:
		if r, err = d.place(args[1].Value, r, rp, rmin); err != nil {
			return "", 0, true, err
		}
	}
	sep := " "
	if prec >= precColon {
		sep = ""
	}
	return l + sep + name + sep + r, prec, true, nil
}

func (d *deparser) function(formals, body *Value) (string, int, bool, error) {
	var params []string
	switch formals.Type {
	case NILSXP:
	case LISTSXP:
		if len(formals.Attr) > 0 || formals.Tail != nil {
			return "", 0, false, nil
		}
		for _, p := range formals.Pairs {
			if !p.HasTag || p.Tag == "" || len(p.Attr) > 0 {
				return "", 0, false, nil
			}
			name, err := symbolText(p.Tag)
			if err != nil {
				return "", 0, true, err
			}
			if p.Value.IsMissingArg() {
				params = append(params, name)
				continue
			}
			def, _, err := d.expr(p.Value)
			if err != nil {
				return "", 0, true, err
			}
			params = append(params, name+" = "+def)
		}
	default:
		return "", 0, false, nil
	}
	b, _, err := d.expr(body)
	if err != nil {
		return "", 0, true, err
	}
	return "function(" + strings.Join(params, ", ") + ") " + b, precStmt, true, nil
}

func isSpecialOp(name string) bool {
	if len(name) < 2 || name[0] != '%' || name[len(name)-1] != '%' {
		return false
	}
	inner := name[1 : len(name)-1]
	return !strings.ContainsAny(inner, "%\n\r") && utf8.ValidString(inner)
}
