package rsyntax

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// treeProgram encodes f as the stack program rtest's R side builds into R
// objects (see build in rtest/rparse.R). ok is false for trees R cannot
// rebuild from outside the parser (a placeholder in a default value).
func treeProgram(f *File) (prog string, ok bool) {
	var b strings.Builder
	ok = true
	var emit func(n Node)
	args := func(as []Arg) string {
		var tags []string
		for _, a := range as {
			if a.Value == nil {
				b.WriteString("M\n")
			} else {
				emit(a.Value)
			}
			if a.HasName {
				tags = append(tags, hex.EncodeToString([]byte(a.Name)))
			} else {
				tags = append(tags, "-")
			}
		}
		return strings.Join(tags, " ")
	}
	call := func(head string, kids ...Node) {
		fmt.Fprintf(&b, "S %s\n", hex.EncodeToString([]byte(head)))
		for _, k := range kids {
			emit(k)
		}
		fmt.Fprintf(&b, "C %d%s\n", len(kids), strings.Repeat(" -", len(kids)))
	}
	emit = func(n Node) {
		switch n := n.(type) {
		case *Symbol:
			fmt.Fprintf(&b, "S %s\n", hex.EncodeToString([]byte(n.Name)))
		case *String:
			fmt.Fprintf(&b, "T %s\n", hex.EncodeToString([]byte(n.Value)))
		case *Num:
			typ := map[NumType]string{NumDouble: "double", NumInteger: "integer", NumComplex: "complex"}[n.Type]
			fmt.Fprintf(&b, "N %s %s\n", typ, n.Text)
		case *Const:
			fmt.Fprintf(&b, "K %s\n", n.Name)
		case *Placeholder:
			ok = false
			b.WriteString("M\n")
		case *Call:
			emit(n.Fn)
			tags := args(n.Args)
			fmt.Fprintf(&b, "C %d", len(n.Args))
			if tags != "" {
				b.WriteString(" " + tags)
			}
			b.WriteByte('\n')
		case *Index:
			head := "["
			if n.Double {
				head = "[["
			}
			fmt.Fprintf(&b, "S %s\n", hex.EncodeToString([]byte(head)))
			emit(n.X)
			tags := args(n.Args)
			fmt.Fprintf(&b, "C %d -", len(n.Args)+1)
			if tags != "" {
				b.WriteString(" " + tags)
			}
			b.WriteByte('\n')
		case *Unary:
			call(n.Op, n.X)
		case *Binary:
			call(n.Op, n.X, n.Y)
		case *Paren:
			call("(", n.X)
		case *Block:
			call("{", n.Exprs...)
		case *If:
			if n.Else != nil {
				call("if", n.Cond, n.Then, n.Else)
			} else {
				call("if", n.Cond, n.Then)
			}
		case *For:
			call("for", n.Var, n.Seq, n.Body)
		case *While:
			call("while", n.Cond, n.Body)
		case *Repeat:
			call("repeat", n.Body)
		case *Break:
			call("break")
		case *Next:
			call("next")
		case *Function:
			var names []string
			for _, p := range n.Params {
				if p.Default == nil {
					b.WriteString("M\n")
				} else {
					emit(p.Default)
				}
				names = append(names, hex.EncodeToString([]byte(p.Name.Name)))
			}
			emit(n.Body)
			fmt.Fprintf(&b, "F %d", len(n.Params))
			for _, s := range names {
				b.WriteString(" " + s)
			}
			b.WriteByte('\n')
		default:
			ok = false
		}
	}
	for _, e := range f.Exprs {
		emit(e)
	}
	fmt.Fprintf(&b, "E %d\n", len(f.Exprs))
	return b.String(), ok
}
