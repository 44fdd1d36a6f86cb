package refs

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/rwarden/rwarden/policy/rsyntax/rtest"
)

type posKey struct {
	line, col int
}

// crossCheck compares Find's references with R's getParseData() tokens
// for one input R parses, and returns the disagreements.
func crossCheck(src string, r rtest.Result) []string {
	f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
	if err != nil {
		return []string{fmt.Sprintf("Go rejects what R parses: %v", err)}
	}
	refs := Find(f)
	at := map[posKey][]Ref{}
	for _, x := range refs {
		k := posKey{int(x.Pos.Line), int(x.Pos.Col)}
		at[k] = append(at[k], x)
	}
	has := func(k posKey, ok func(Ref) bool) bool {
		for _, x := range at[k] {
			if ok(x) {
				return true
			}
		}
		return false
	}
	// x$f(...) and x@f(...): R marks f as a call; Find reports the call
	// as dynamic at the start of x$f.
	member := map[posKey]posKey{}
	for _, e := range f.Exprs {
		rsyntax.Walk(e, func(n rsyntax.Node) bool {
			if c, ok := n.(*rsyntax.Call); ok {
				if b, ok := c.Fn.(*rsyntax.Binary); ok && (b.Op == "$" || b.Op == "@") {
					p := b.Y.Pos()
					member[posKey{int(p.Line), int(p.Col)}] = posKey{int(b.P.Line), int(b.P.Col)}
				}
			}
			return true
		})
	}
	var problems []string
	seen := map[posKey]string{}
	for _, t := range r.Tokens {
		k := posKey{t.Line, t.Col}
		seen[k] = t.Kind
		var ok bool
		switch t.Kind {
		case "SYMBOL_FUNCTION_CALL":
			ok = has(k, func(x Ref) bool {
				return x.Name == t.Text && (x.Kind == KindCall || x.Kind == KindNamespace || x.Kind == KindNamespaceInternal) ||
					x.Kind == KindReplacement && x.Name == t.Text+"<-"
			})
			if m, isMember := member[k]; !ok && isMember {
				ok = has(m, func(x Ref) bool { return x.Kind == KindDynamic })
			}
		case "SYMBOL_PACKAGE":
			ok = has(k, func(x Ref) bool { return x.Kind == KindLoad && x.Pkg == t.Text })
		case "NS_GET", "NS_GET_INT":
			ok = has(k, func(x Ref) bool { return x.Kind == KindOperator && x.Name == t.Text })
		case "STR_CONST":
			ok = has(k, func(x Ref) bool {
				return x.Kind == KindString && x.Name == t.Text || x.Kind == KindReplacement && x.Name == t.Text+"<-"
			})
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("R has %s %q at %d:%d; Find has %v", t.Kind, t.Text, t.Line, t.Col, at[k]))
		}
	}
	for _, x := range refs {
		k := posKey{int(x.Pos.Line), int(x.Pos.Col)}
		if strings.Contains(x.Detail, "string for ") {
			continue // found in a string parsed as code, at the string
		}
		var want string
		switch {
		case x.Kind == KindCall:
			want = "SYMBOL_FUNCTION_CALL"
		case x.Kind == KindString && strings.Contains(x.Detail, "called as a function"):
			want = "STR_CONST"
		case x.Kind == KindLoad && strings.Contains(x.Detail, "::") && !strings.HasPrefix(x.Detail, "get"):
			if !isQuoted(src, x) {
				want = "SYMBOL_PACKAGE"
			}
		}
		if want != "" && seen[k] != want {
			problems = append(problems, fmt.Sprintf("Find has %s %q at %d:%d; R has %q there", x.Kind, x.Name, k.line, k.col, seen[k]))
		}
	}
	return problems
}

// isQuoted reports whether the package of a load from pkg::f is written as
// a string, which R does not mark as SYMBOL_PACKAGE.
func isQuoted(src string, x Ref) bool {
	lines := strings.Split(src, "\n")
	if x.Pos.Line < 1 || int(x.Pos.Line) > len(lines) {
		return false
	}
	l := lines[x.Pos.Line-1]
	i := int(x.Pos.Col) - 1
	return i >= 0 && i < len(l) && (l[i] == '"' || l[i] == '\'')
}

func differential(t *testing.T, inputs []string, results []rtest.Result) {
	t.Helper()
	require.Len(t, results, len(inputs))
	checked, failures := 0, 0
	for i, src := range inputs {
		if results[i].Err != nil {
			continue
		}
		checked++
		if p := crossCheck(src, results[i]); len(p) > 0 {
			failures++
			if failures <= 20 {
				s := src
				if len(s) > 300 {
					s = s[:300] + "..."
				}
				t.Errorf("input %d %q:\n  %s", i, s, strings.Join(p, "\n  "))
			}
		}
	}
	if failures > 20 {
		t.Errorf("... %d inputs disagree in all", failures)
	}
	t.Logf("%d inputs, %d parsed by R and cross-checked", len(inputs), checked)
}

func requireR(t *testing.T) context.Context {
	t.Helper()
	if _, err := rtest.Rscript(); err != nil {
		t.Skipf("R is not installed, skipping the differential test against R: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func readCorpus(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n----\n")
}

func TestDifferentialHandWritten(t *testing.T) {
	ctx := requireR(t)
	inputs := append(readCorpus(t, "../rsyntax/testdata/tricky.txt"), readCorpus(t, "testdata/escapes.txt")...)
	res, err := rtest.Parse(ctx, inputs)
	require.NoError(t, err)
	differential(t, inputs, res)
}

func TestDifferentialDeparsedBase(t *testing.T) {
	if testing.Short() {
		t.Skip("deparse corpus differential test skipped in -short mode")
	}
	ctx := requireR(t)
	texts, res, err := rtest.DeparseCorpus(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(texts), 5000)
	differential(t, texts, res)
}
