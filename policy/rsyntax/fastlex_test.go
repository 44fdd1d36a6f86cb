package rsyntax

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dumpWith renders what p returns for src, as dumpParse does.
func dumpWith(p *Parser, src []byte) string {
	var b strings.Builder
	f, err := p.Parse(src, Options{MaxBytes: 1 << 20, MaxDepth: 256})
	if err != nil {
		fmt.Fprintf(&b, "error %T %v\n", err, err)
		return b.String()
	}
	for _, e := range f.Exprs {
		b.WriteString(Dump(e))
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(&b, "warning %d:%d %s\n", w.Pos.Line, w.Pos.Col, w.Msg)
	}
	return b.String()
}

// slowParser is a Parser whose lexer never takes fastToken's paths.
func slowParser() *Parser {
	var p Parser
	p.lx.slowOnly = true
	return &p
}

// TestFastLexerMatchesSlow parses every corpus script with and without
// the lexer's fast paths: trees, positions, warnings and errors must be
// the same.
func TestFastLexerMatchesSlow(t *testing.T) {
	in := corpusInputs(t)
	// Inputs the fast paths handle at their edges.
	for i, src := range []string{
		"x", "x\n", "r'a'", "R\"(b)\"", "rx", "r", "x1.y_z", "a\u00e9b", "b\u00e9", "`a b`", "1", "1.", "1.5",
		"12L", "1e5", "0x1F", "1i", "1.2.3", ".5", "1..2", "'a'", "\"a\"", "'a\\nb'", "'a\tb'", "'a\nb'",
		"'\u00e9'", "'unterminated", "\"", "x <- 'a'\t# c\n", "f(a, b)[[1]]$c@d", "a<-b<<-c->d->>e", "a<=b>=c!=d==e",
		"!a&&b||c&d|e", "a|>f()", "a::b:::c", "a:=b", "x**2^3", "\\(x) x", "{(a);[b]}", "?x", "~y", "a=>b",
		"x;y\n\nz", "if (a) b else c", "function(x, ...) x", "%in%", "a %in% b", "\f x \t y", "x\r\ny",
		"#line 5\nx", "#line 7 \"f.R\"\ny", "#linex\nz", "\t#line 3\nx", " #line 3\nx", "x # c\ny", "#c", "# \u00e9\t\nx",
		"if (a) b # c\nelse d", "f(a, # c\n b)",
		strings.Repeat("a", 9000), "'" + strings.Repeat("s", 100) + "'", strings.Repeat("9", 9000),
	} {
		in[fmt.Sprintf("edge#%d", i)] = src
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names)
	var fast Parser
	slow := slowParser()
	for _, name := range names {
		src := []byte(in[name])
		require.Equal(t, dumpWith(slow, src), dumpWith(&fast, src), "%s: %q", name, abbreviate(in[name]))
	}
}

// FuzzFastLexer checks that the lexer's fast paths give exactly the
// tokens of its general path: the same trees with the same positions, the
// same warnings, the same errors.
func FuzzFastLexer(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		var fast Parser
		got, want := dumpWith(&fast, src), dumpWith(slowParser(), src)
		if got != want {
			t.Fatalf("fast paths differ for %q:\nfast:\n%s\ngeneral:\n%s", src, got, want)
		}
	})
}
