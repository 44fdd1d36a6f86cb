package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassifyObject(t *testing.T) {
	tests := []struct {
		obj  string
		want objectKind
	}{
		{"base::mean", kindFunction},
		{"base::[<-", kindFunction},
		{"base::[[<-", kindFunction},
		{"base::*", kindFunction},
		{"base::%in%", kindFunction},
		{"base::::", kindFunction},  // the function `::`
		{"base:::::", kindFunction}, // the function `:::`
		{"utils::?", kindFunction},
		{"data.table::fread", kindFunction},
		{"glob::f", kindFunction}, // a package called glob is still a package
		{"pkg:stats", kindPackage},
		{"internal:stats", kindCapability},
		{"dynamic:call", kindCapability},
		{"dynamic:other", kindInvalid},
		{"stats", kindInvalid},
		{"::mean", kindInvalid},
		{"base::", kindInvalid},
		{"1pkg::f", kindInvalid},
		{"pkg.::f", kindInvalid},
		{"pkg:", kindInvalid},
		{"pkg:st ats", kindInvalid},
		{"", kindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.obj, func(t *testing.T) {
			assert.Equal(t, tt.want, classifyObject(tt.obj))
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pat   string
		obj   string
		match bool
	}{
		{"stats::*", "stats::lm", true},
		{"stats::*", "stats::", true},
		{"stats::*", "statsx::lm", false},
		{"stats::*", "base::lm", false},
		{"*", "anything at all", true},
		{"*", "", true},
		{"base::is.*", "base::is.na", true},
		{"base::is.*", "base::isTRUE", false},
		{"base::[.*", "base::[.data.frame", true},
		{"base::[.*", "base::[[.data.frame", false}, // '[' is literal
		{"base::?x", "base::?x", true},              // '?' is literal
		{"base::?x", "base::ax", false},
		{`base::\*.*`, "base::*.difftime", true},
		{`base::\*.*`, "base::as.x", false},
		{`a\\b`, `a\b`, true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*::mean", "base::mean", true},
		{"*:call", "dynamic:call", true},
	}
	for _, tt := range tests {
		t.Run(tt.pat+"~"+tt.obj, func(t *testing.T) {
			g, err := compileGlob(tt.pat)
			require.NoError(t, err)
			assert.Equal(t, tt.match, g.match(tt.obj))
		})
	}
}

func TestCompilePattern(t *testing.T) {
	tests := []struct {
		obj, act string
		errLike  string // empty: valid
	}{
		{"base::mean", ActCall, ""},
		{"glob:stats::*", ActCall, ""},
		{"glob:*", ActLoad, ""},
		{"pkg:stats", ActLoad, ""},
		{"dynamic:call", ActCall, ""},
		{"internal:stats", ActCall, ""},
		{"base::mean", ActLoad, "act load needs a package object"},
		{"pkg:stats", ActCall, "a package object needs act load"},
		{"stats*", ActCall, "write glob patterns as glob:"},
		{"mean", ActCall, "expected PKG::NAME"},
		{"glob:", ActCall, "empty glob"},
		{`glob:a\b`, ActCall, "backslash"},
		{`glob:a\`, ActCall, "backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.obj+"/"+tt.act, func(t *testing.T) {
			p, err := compilePattern(tt.obj, tt.act)
			if tt.errLike == "" {
				require.NoError(t, err)
				assert.NotNil(t, p)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, errPattern)
			assert.Contains(t, err.Error(), tt.errLike)
		})
	}
}

// TestExactIsNotGlob pins the central rule: without glob: nothing is a
// wildcard, so the multiplication function does not grant all of base.
func TestExactIsNotGlob(t *testing.T) {
	p, err := compilePattern("base::*", ActCall)
	require.NoError(t, err)
	assert.True(t, p.match("base::*"))
	assert.False(t, p.match("base::system"))
	p, err = compilePattern("base::[", ActCall)
	require.NoError(t, err)
	assert.True(t, p.match("base::["))
	assert.False(t, p.match("base::b"))
}

// globToRegexp is an independent reference implementation of glob:
// semantics, for the differential fuzz target.
func globToRegexp(pat string) (*regexp.Regexp, bool) {
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '\\':
			if i+1 >= len(pat) || (pat[i+1] != '*' && pat[i+1] != '\\') {
				return nil, false
			}
			i++
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		case '*':
			b.WriteString(`(?s:.*)`)
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	return re, err == nil
}

// FuzzGlob checks the glob matcher against a regexp translation. Policy
// patterns are operator input and objects come from user code.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"stats::*", "stats::lm"}, {"a*b*c", "aXbYc"}, {`base::\*.*`, "base::*.x"},
		{"*", ""}, {"a*a", "a"}, {"**", "x"}, {`\\*`, `\abc`}, {"[*]", "[x]"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, obj string) {
		if !utf8.ValidString(pat) || !utf8.ValidString(obj) {
			// The reference regexp needs UTF-8; R names in policies are.
			t.Skip()
		}
		g, err := compileGlob(pat)
		re, ok := globToRegexp(pat)
		if pat == "" {
			require.Error(t, err)
			return
		}
		if !ok {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		assert.Equal(t, re.MatchString(obj), g.match(obj), "pattern %q object %q", pat, obj)
	})
}
