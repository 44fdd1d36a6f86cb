package rsyntax

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// seedCorpus adds the hand-written corpus to a fuzz target's seeds.
func seedCorpus(f *testing.F) {
	b, err := os.ReadFile("testdata/tricky.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range strings.Split(string(b), "\n----\n") {
		f.Add([]byte(s))
	}
}

// posBound returns the largest line and column a position in src may have
// (R's columns never exceed the byte count of a line plus tab expansion).
func posBound(src []byte) (lines, cols int) {
	lines = bytes.Count(src, []byte("\n")) + 2
	cols = 8*len(src) + 8
	return lines, cols
}

// FuzzParse checks that Parse never panics, that errors are *SyntaxError
// or *LimitError with positions inside the input, and that a successful
// parse survives a round trip through Canonical.
func FuzzParse(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		opts := Options{MaxBytes: 1 << 16, MaxDepth: 64}
		file, err := Parse(src, opts)
		lines, cols := posBound(src)
		directive := bytes.Contains(src, []byte("#line"))
		checkPos := func(p Pos, what string) {
			if p.Line < 0 || p.Col < 0 || (!directive && (p.Line > lines || p.Line == 0)) || p.Col > cols {
				t.Fatalf("%s at %v outside the input (%d lines)", what, p, lines)
			}
		}
		if err != nil {
			var se *SyntaxError
			var le *LimitError
			switch {
			case errors.As(err, &se):
				checkPos(se.Pos, "syntax error")
				if se.Msg == "" {
					t.Fatal("syntax error without a message")
				}
			case errors.As(err, &le):
				checkPos(le.Pos, "limit error")
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, e := range file.Exprs {
			Walk(e, func(n Node) bool {
				checkPos(n.Pos(), "node")
				return true
			})
		}
		canon := CanonicalFile(file)
		again, err := Parse([]byte(canon), Options{MaxBytes: 1 << 22, MaxDepth: 1 << 12})
		if err != nil {
			// The canonical form nests one bracket per node, so it can
			// hit R's bracket limit where the source did not.
			if strings.Contains(err.Error(), "contextstack overflow") {
				return
			}
			t.Fatalf("canonical form does not parse: %v\nsource: %q\ncanonical: %q", err, src, canon)
		}
		if got := CanonicalFile(again); got != canon {
			t.Fatalf("canonical form is not stable:\nsource: %q\nfirst:  %q\nsecond: %q", src, canon, got)
		}
	})
}
