package rsyntax

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/rsyntax/rtest"
)

// parseDataView computes from the tree the getParseData() rows rtest
// reports: a name called directly (f(x), pkg::f(x), x$f(x) - gram.y marks
// the last child of the function expression when it is a SYMBOL), package
// names of ::/:::, the operators themselves, and "f"(x).
func parseDataView(f *File) []rtest.Token {
	var out []rtest.Token
	add := func(p Pos, kind, text string) {
		out = append(out, rtest.Token{Line: int(p.Line), Col: int(p.Col), Kind: kind, Text: text})
	}
	for _, e := range f.Exprs {
		Walk(e, func(n Node) bool {
			switch n := n.(type) {
			case *Call:
				switch fn := n.Fn.(type) {
				case *Symbol:
					if fn.FromString {
						add(fn.P, "STR_CONST", fn.Name)
					} else {
						add(fn.P, "SYMBOL_FUNCTION_CALL", fn.Name)
					}
				case *Binary:
					if s, ok := fn.Y.(*Symbol); ok && fn.Op != "@" {
						add(s.P, "SYMBOL_FUNCTION_CALL", s.Name)
					}
				}
			case *Binary:
				if n.Op == "::" || n.Op == ":::" {
					kind := "NS_GET"
					if n.Op == ":::" {
						kind = "NS_GET_INT"
					}
					add(n.OpPos, kind, n.Op)
					if s, ok := n.X.(*Symbol); ok {
						add(s.P, "SYMBOL_PACKAGE", s.Name)
					}
				}
			}
			return true
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Col < out[j].Col
	})
	return out
}

func requireR(t *testing.T) {
	t.Helper()
	if _, err := rtest.Rscript(); err != nil {
		t.Skipf("R is not installed, skipping the differential test against R: %v", err)
	}
}

func rContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func fmtTokens(ts []rtest.Token) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "  %d:%d %s %q\n", t.Line, t.Col, t.Kind, t.Text)
	}
	return b.String()
}

// diffOne compares Go's parse of src with R's result and returns a
// description of the first disagreement, or "".
func diffOne(src string, r rtest.Result) (string, *File) {
	f, err := Parse([]byte(src), Options{})
	if r.Err != nil {
		if err == nil {
			return fmt.Sprintf("R rejects (%d:%d: %s), Go accepts", r.Err.Line, r.Err.Col, r.Err.Msg), nil
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			return fmt.Sprintf("R rejects (%s), Go fails with a non-syntax error: %v", r.Err.Msg, err), nil
		}
		if se.Msg != r.Err.Msg {
			return fmt.Sprintf("messages differ: R %d:%d: %q, Go %v", r.Err.Line, r.Err.Col, r.Err.Msg, err), nil
		}
		if r.Err.Line >= 0 && (int(se.Pos.Line) != r.Err.Line || int(se.Pos.Col) != r.Err.Col) {
			return fmt.Sprintf("positions differ: R %d:%d, Go %d:%d (%s)", r.Err.Line, r.Err.Col, se.Pos.Line, se.Pos.Col, se.Msg), nil
		}
		return "", nil
	}
	if err != nil {
		return fmt.Sprintf("R accepts, Go rejects: %v", err), nil
	}
	if len(f.Exprs) != r.Exprs {
		return fmt.Sprintf("R has %d top-level expressions, Go %d", r.Exprs, len(f.Exprs)), nil
	}
	var ws []string
	for _, w := range f.Warnings {
		ws = append(ws, w.Msg)
	}
	if strings.Join(ws, "\n") != strings.Join(r.Warnings, "\n") {
		return fmt.Sprintf("warnings differ: R %q, Go %q", r.Warnings, ws), nil
	}
	got := fmtTokens(parseDataView(f))
	if want := fmtTokens(r.Tokens); got != want {
		return fmt.Sprintf("parse data differs:\nR:\n%sGo:\n%s", want, got), nil
	}
	return "", f
}

// differential checks every input against R: syntax errors (message and
// position), warnings, the parse-data view, and finally that R's parse of
// each source is identical() to Go's tree rebuilt as R objects.
func differential(t *testing.T, ctx context.Context, inputs []string, results []rtest.Result) {
	t.Helper()
	require.Len(t, results, len(inputs))
	var pairs [][2]string
	failures := 0
	for i, src := range inputs {
		d, f := diffOne(src, results[i])
		if d != "" {
			failures++
			if failures <= 30 {
				t.Errorf("input %d %q:\n%s", i, abbreviate(src), d)
			}
			continue
		}
		if f != nil {
			if prog, ok := treeProgram(f); ok {
				pairs = append(pairs, [2]string{src, prog})
			}
		}
	}
	if failures > 30 {
		t.Errorf("... %d disagreements in all", failures)
	}
	diffs, err := rtest.Compare(ctx, pairs)
	require.NoError(t, err)
	bad := 0
	for i, d := range diffs {
		if d != "" {
			bad++
			if bad <= 10 {
				t.Errorf("R parses the source to a different tree than Go:\nsource: %q\n%s", abbreviate(pairs[i][0]), abbreviate(d))
			}
		}
	}
	t.Logf("%d inputs, %d parsed by both and compared as trees", len(inputs), len(pairs))
}

func abbreviate(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// splitCorpus reads a hand-written corpus: cases separated by lines
// holding only "----".
func splitCorpus(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n----\n")
}

func TestDifferentialTricky(t *testing.T) {
	requireR(t)
	ctx := rContext(t)
	inputs := splitCorpus(t, "testdata/tricky.txt")
	res, err := rtest.Parse(ctx, inputs)
	require.NoError(t, err)
	differential(t, ctx, inputs, res)
}

func TestDifferentialDeparsedBase(t *testing.T) {
	if testing.Short() {
		t.Skip("deparse corpus differential test skipped in -short mode")
	}
	requireR(t)
	ctx := rContext(t)
	texts, res, err := rtest.DeparseCorpus(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(texts), 5000, "the deparse corpus must hold at least 5,000 functions")
	differential(t, ctx, texts, res)
}
