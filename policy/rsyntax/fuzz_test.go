package rsyntax

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
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

// reused is a Parser shared by the fuzz iterations of a process, to check
// that reusing a Parser's memory never changes a result.
var reused struct {
	sync.Mutex
	p Parser
}

// FuzzParse checks that Parse never panics, that errors are *SyntaxError
// or *LimitError with positions inside the input, that a successful parse
// survives a round trip through Canonical, that the height the parser
// computes for the depth check is never below the tree's, and that a
// reused Parser gives what a fresh one gives.
func FuzzParse(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		opts := Options{MaxBytes: 1 << 16, MaxDepth: 64}
		var fresh Parser
		fresh.p.onExpr = func(e Node, h int) {
			if want := height(e); h < want {
				t.Fatalf("computed height %d below the tree's %d for %q", h, want, Canonical(e))
			}
		}
		file, err := fresh.Parse(src, opts)
		reused.Lock()
		again, errAgain := reused.p.Parse(src, opts)
		sameResult(t, file, err, again, errAgain)
		reused.Unlock()
		lines, cols := posBound(src)
		directive := bytes.Contains(src, []byte("#line"))
		checkPos := func(p Pos, what string) {
			if p.Line < 0 || p.Col < 0 || (!directive && (int(p.Line) > lines || p.Line == 0)) || int(p.Col) > cols {
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
		again, err = Parse([]byte(canon), Options{MaxBytes: 1 << 22, MaxDepth: 1 << 12})
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

// height is the height of a tree, computed directly.
func height(n Node) int {
	if n == nil {
		return 0
	}
	h := 0
	eachChild(n, func(c Node) { h = max(h, height(c)) })
	return 1 + h
}

// sameResult fails unless two parses of the same input agree: the same
// error, or the same tree and warnings.
func sameResult(t *testing.T, f1 *File, err1 error, f2 *File, err2 error) {
	t.Helper()
	if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
		t.Fatalf("reused parser: error %v, fresh parser: %v", err2, err1)
	}
	if err1 != nil {
		return
	}
	if c1, c2 := CanonicalFile(f1), CanonicalFile(f2); c1 != c2 {
		t.Fatalf("reused parser gives %q, fresh parser %q", c2, c1)
	}
	if fmt.Sprint(f1.Warnings) != fmt.Sprint(f2.Warnings) {
		t.Fatalf("reused parser warns %v, fresh parser %v", f2.Warnings, f1.Warnings)
	}
}
