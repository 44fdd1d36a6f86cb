package rsyntax

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Canonical prints n as R code in a fully explicit prefix form that R
// parses to an object identical() to the one the original source parses
// to (with keep.source = FALSE): every operator and keyword construct
// becomes a backtick-quoted call (`+`(a, b), `if`(c, x), `[`(x, i)),
// desugared pipes and "f"(x) appear as the calls R builds, and names and
// strings are escaped. It is both a debug printer and what the
// differential tests hand back to R to check the parse.
func Canonical(n Node) string {
	var b strings.Builder
	canon(&b, n)
	return b.String()
}

// CanonicalFile prints every top-level expression of f, one per line.
func CanonicalFile(f *File) string {
	var b strings.Builder
	for _, e := range f.Exprs {
		canon(&b, e)
		b.WriteByte('\n')
	}
	return b.String()
}

// quoteName writes a name in backticks, escaping every byte outside
// printable ASCII as \xHH (backticks do not take \u escapes).
func quoteName(s string) string {
	var b strings.Builder
	b.WriteByte('`')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '`' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('`')
	return b.String()
}

// quoteString writes a string constant. Valid UTF-8 is escaped with
// \u{...}, other bytes with \xHH (R refuses both kinds in one string).
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	valid := utf8.ValidString(s)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
			i++
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
			i++
		case valid:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r > 0xFFFF {
				fmt.Fprintf(&b, `\U{%x}`, r)
			} else {
				fmt.Fprintf(&b, `\u{%x}`, r)
			}
			i += n
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
			i++
		}
	}
	b.WriteByte('"')
	return b.String()
}

func canonArgs(b *strings.Builder, args []Arg, first bool) {
	for _, a := range args {
		if !first {
			b.WriteString(", ")
		}
		first = false
		if a.HasName {
			b.WriteString(quoteName(a.Name))
			b.WriteString(" = ")
		}
		if a.Value != nil {
			canon(b, a.Value)
		}
	}
}

func canonCall(b *strings.Builder, head string, args ...Node) {
	b.WriteString(quoteName(head))
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		canon(b, a)
	}
	b.WriteByte(')')
}

func canon(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *Symbol:
		b.WriteString(quoteName(n.Name))
	case *String:
		b.WriteString(quoteString(n.Value))
	case *Num:
		b.WriteString(n.Text)
	case *Const:
		b.WriteString(n.Name)
	case *Placeholder:
		b.WriteString("_")
	case *Call:
		// A function expression that is not a name needs parentheses to
		// be called, but `(`(f)(x) would call `(`; R represents (f)(x)
		// with the paren call as the function, which is what Fn holds.
		canon(b, n.Fn)
		b.WriteByte('(')
		canonArgs(b, n.Args, true)
		b.WriteByte(')')
	case *Index:
		if n.Double {
			b.WriteString("`[[`(")
		} else {
			b.WriteString("`[`(")
		}
		canon(b, n.X)
		canonArgs(b, n.Args, false)
		b.WriteByte(')')
	case *Unary:
		canonCall(b, n.Op, n.X)
	case *Binary:
		canonCall(b, n.Op, n.X, n.Y)
	case *Paren:
		canonCall(b, "(", n.X)
	case *Block:
		canonCall(b, "{", n.Exprs...)
	case *If:
		if n.Else != nil {
			canonCall(b, "if", n.Cond, n.Then, n.Else)
		} else {
			canonCall(b, "if", n.Cond, n.Then)
		}
	case *For:
		canonCall(b, "for", n.Var, n.Seq, n.Body)
	case *While:
		canonCall(b, "while", n.Cond, n.Body)
	case *Repeat:
		canonCall(b, "repeat", n.Body)
	case *Break:
		canonCall(b, "break")
	case *Next:
		canonCall(b, "next")
	case *Function:
		// function(...) stays in keyword form (a `function` call would not
		// get a pairlist of formals). It needs no parentheses: in this
		// output a function literal is always followed by ',' or ')'.
		b.WriteString("function(")
		for i, p := range n.Params {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteName(p.Name.Name))
			if p.Default != nil {
				b.WriteString(" = ")
				canon(b, p.Default)
			}
		}
		b.WriteString(") ")
		canon(b, n.Body)
	default:
		fmt.Fprintf(b, "stop(\"unknown node %T\")", n)
	}
}
