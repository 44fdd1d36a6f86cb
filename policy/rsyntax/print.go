package rsyntax

import (
	"fmt"
	"strings"
)

// Dump prints n as an indented tree with node types and positions, for
// debugging and golden files.
func Dump(n Node) string {
	var b strings.Builder
	dump(&b, n, 0, "")
	return b.String()
}

func dump(b *strings.Builder, n Node, depth int, label string) {
	indent := strings.Repeat("  ", depth)
	if n == nil {
		fmt.Fprintf(b, "%s%s<empty>\n", indent, label)
		return
	}
	p := n.Pos()
	fmt.Fprintf(b, "%s%s%d:%d ", indent, label, p.Line, p.Col)
	switch n := n.(type) {
	case *Symbol:
		fmt.Fprintf(b, "Symbol %s", quoteName(n.Name))
		if n.Quoted {
			b.WriteString(" quoted")
		}
		if n.FromString {
			b.WriteString(" from-string")
		}
	case *String:
		fmt.Fprintf(b, "String %s", quoteString(n.Value))
		if n.Raw {
			b.WriteString(" raw")
		}
	case *Num:
		fmt.Fprintf(b, "Num %s %s", n.Type, n.Text)
	case *Const:
		fmt.Fprintf(b, "Const %s", n.Name)
	case *Placeholder:
		b.WriteString("Placeholder")
	case *Call:
		b.WriteString("Call")
		if n.Pipe {
			b.WriteString(" pipe")
		}
	case *Index:
		if n.Double {
			b.WriteString("Index [[")
		} else {
			b.WriteString("Index [")
		}
	case *Unary:
		fmt.Fprintf(b, "Unary %s", n.Op)
	case *Binary:
		fmt.Fprintf(b, "Binary %s @%d:%d", n.Op, n.OpPos.Line, n.OpPos.Col)
		if n.Rightward {
			b.WriteString(" rightward")
		}
	case *Function:
		b.WriteString("Function")
		if n.Lambda {
			b.WriteString(" lambda")
		}
	default:
		fmt.Fprintf(b, "%s", strings.TrimPrefix(fmt.Sprintf("%T", n), "*rsyntax."))
	}
	b.WriteByte('\n')
	switch n := n.(type) {
	case *Call:
		dump(b, n.Fn, depth+1, "fn: ")
		dumpArgs(b, n.Args, depth+1)
	case *Index:
		dump(b, n.X, depth+1, "x: ")
		dumpArgs(b, n.Args, depth+1)
	case *Function:
		for _, prm := range n.Params {
			dump(b, prm.Name, depth+1, "param: ")
			if prm.Default != nil {
				dump(b, prm.Default, depth+2, "default: ")
			}
		}
		dump(b, n.Body, depth+1, "body: ")
	case *If:
		dump(b, n.Cond, depth+1, "cond: ")
		dump(b, n.Then, depth+1, "then: ")
		if n.Else != nil {
			dump(b, n.Else, depth+1, "else: ")
		}
	default:
		eachChild(n, func(c Node) { dump(b, c, depth+1, "") })
	}
}

func dumpArgs(b *strings.Builder, args []Arg, depth int) {
	for _, a := range args {
		label := "arg: "
		if a.HasName {
			label = "arg " + quoteName(a.Name) + "= "
		}
		dump(b, a.Value, depth, label)
	}
}
