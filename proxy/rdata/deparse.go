package rdata

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// ErrNotExact is wrapped by Deparse's errors: the object has no R source
// text that parses back to it.
var ErrNotExact = errors.New("no exact R source for this object")

// Deparse renders a language object (a call, a symbol, an expression
// vector, or a constant that R source can spell) as R source text that
// parses back to an equal object. Source references (srcref attributes and
// the fourth element of a function definition) are not part of the object
// for this purpose and are dropped. The result is verified by parsing it
// with policy/rsyntax and comparing; anything that cannot be rendered
// exactly is an error wrapping ErrNotExact.
func Deparse(v *Value) (string, error) {
	n, err := normalizeLang(v, 0)
	if err != nil {
		return "", err
	}
	var exprs []*Value
	if n.Type == EXPRSXP {
		exprs = n.Elems
		if len(exprs) == 0 {
			return "", fmt.Errorf("%w: an empty expression vector", ErrNotExact)
		}
	} else {
		exprs = []*Value{n}
	}
	// Operators written infix read better in the audit trail and in policy
	// messages; the prefix form (`+`(a, b)) is the fallback that is exact
	// whenever the tree has a source form at all.
	var lastErr error
	for _, prefix := range []bool{false, true} {
		src, err := render(exprs, prefix)
		if err == nil {
			err = verify(src, exprs)
		}
		if err == nil {
			return src, nil
		}
		lastErr = err
	}
	return "", lastErr
}

func render(exprs []*Value, prefix bool) (string, error) {
	d := &deparser{prefix: prefix}
	parts := make([]string, len(exprs))
	for i, x := range exprs {
		s, err := d.top(x)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return strings.Join(parts, "\n"), nil
}

func verify(src string, want []*Value) error {
	f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
	if err != nil {
		return fmt.Errorf("%w: the rendering does not parse: %v", ErrNotExact, err)
	}
	if len(f.Exprs) != len(want) {
		return fmt.Errorf("%w: the rendering parses to %d expressions, not %d", ErrNotExact, len(f.Exprs), len(want))
	}
	for i, e := range f.Exprs {
		got, err := FromSyntax(e)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotExact, err)
		}
		if got, err = normalizeLang(got, 0); err != nil {
			return err
		}
		if !EqualLang(got, want[i]) {
			return fmt.Errorf("%w: the rendering parses to a different object", ErrNotExact)
		}
	}
	return nil
}

// srcAttrs are the attributes the parser attaches for source references.
var srcAttrs = map[string]bool{"srcref": true, "srcfile": true, "wholeSrcref": true}

// normalizeLang copies a language tree without source references: srcref
// attributes go, and function definitions lose their fourth (srcref)
// element. Any other attribute on code is not renderable.
func normalizeLang(v *Value, depth int) (*Value, error) {
	if depth > rsyntax.DefaultMaxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d levels", ErrNotExact, rsyntax.DefaultMaxDepth)
	}
	c := *v
	c.Attr = nil
	for _, a := range v.Attr {
		if !srcAttrs[a.Name] || (v.Type != LANGSXP && v.Type != EXPRSXP) {
			c.Attr = append(c.Attr, a)
		}
	}
	switch v.Type {
	case LANGSXP:
		pairs := v.Pairs
		if len(pairs) == 4 && isSym(pairs[0].Value, "function") && !pairs[3].HasTag {
			if t := pairs[3].Value; t.Type == NILSXP || t.GetAttr("srcfile") != nil || hasClass(t, "srcref") {
				pairs = pairs[:3]
			}
		}
		c.Pairs = make([]Pair, len(pairs))
		for i, p := range pairs {
			n, err := normalizeLang(p.Value, depth+1)
			if err != nil {
				return nil, err
			}
			c.Pairs[i] = Pair{Tag: p.Tag, HasTag: p.HasTag, Value: n, Attr: p.Attr}
		}
	case LISTSXP:
		c.Pairs = make([]Pair, len(v.Pairs))
		for i, p := range v.Pairs {
			n, err := normalizeLang(p.Value, depth+1)
			if err != nil {
				return nil, err
			}
			c.Pairs[i] = Pair{Tag: p.Tag, HasTag: p.HasTag, Value: n, Attr: p.Attr}
		}
	case EXPRSXP:
		c.Elems = make([]*Value, len(v.Elems))
		for i, e := range v.Elems {
			n, err := normalizeLang(e, depth+1)
			if err != nil {
				return nil, err
			}
			c.Elems[i] = n
		}
	}
	return &c, nil
}

func isSym(v *Value, name string) bool { return v.Type == SYMSXP && v.Name == name && !v.Unbound }

func hasClass(v *Value, class string) bool {
	for _, c := range v.Class() {
		if c == class {
			return true
		}
	}
	return false
}
