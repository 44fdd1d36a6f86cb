package refs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

func find(t *testing.T, src string) []Ref {
	t.Helper()
	f, err := rsyntax.Parse([]byte(src), rsyntax.Options{})
	require.NoError(t, err, "parsing %q", src)
	return Find(f)
}

// format prints refs as "L:C kind name" (with @pkg when set), leaving out
// the kinds in skip.
func format(refs []Ref, skip ...Kind) []string {
	var out []string
next:
	for _, r := range refs {
		for _, k := range skip {
			if r.Kind == k {
				continue next
			}
		}
		s := fmt.Sprintf("%d:%d %s %s", r.Pos.Line, r.Pos.Col, r.Kind, r.Name)
		if r.Pkg != "" {
			s += "@" + r.Pkg
		}
		out = append(out, s)
	}
	return out
}

func TestFind(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every reference, operators included
	}{
		{"call", "f(x)", []string{"1:1 call f", "1:3 symbol x"}},
		{"backtick call", "`f`(1)", []string{"1:1 call f"}},
		{"escaped backtick call", "`\\x73ystem`('ls')", []string{"1:1 call system"}},
		{"string call", `"system"("ls")`, []string{"1:1 string system"}},
		{"symbol value", "f <- system", []string{"1:3 operator <-", "1:6 symbol system"}},
		{"bound names are variables", "x <- 1; y <- x", []string{"1:3 operator <-", "1:11 operator <-"}},
		{"string assignment target binds", `"x" <- 1; x`, []string{"1:5 operator <-"}},
		{"assign does not prove a binding", `assign("x", 1); x`, []string{"1:1 call assign", "1:17 symbol x"}},
		{"formals and for variables bind", "function(a) for (i in a) i", []string{"1:1 operator function", "1:13 operator for"}},
		{"right assignment is <-", "1 -> x; 2 ->> y", []string{"1:3 operator <-", "1:11 operator <<-"}},
		{"operators", "-a + b %in% c", []string{"1:1 operator -", "1:2 symbol a", "1:4 operator +", "1:6 symbol b", "1:8 operator %in%", "1:13 symbol c"}},
		{"constructs", "if (a) { b } else repeat break", []string{"1:1 operator if", "1:5 symbol a", "1:8 operator {", "1:10 symbol b", "1:19 operator repeat", "1:26 operator break"}},
		{"index and member", "x[[1]]$a@b", []string{"1:1 symbol x", "1:2 operator [[", "1:7 operator $", "1:9 operator @"}},
		{"lambda", `\(x) x`, []string{"1:1 operator function"}},
		{"paren", "(a)", []string{"1:1 operator (", "1:2 symbol a"}},
		{"formula", "y ~ log(x)", []string{"1:1 symbol y", "1:3 operator ~", "1:5 call log", "1:9 symbol x"}},
		{"quote is walked", "quote(system('ls'))", []string{"1:1 call quote", "1:7 call system"}},
		{"help", "?mean", []string{"1:1 operator ?", "1:2 symbol mean"}},
		{"pipe is the call", "x |> f()", []string{"1:1 symbol x", "1:6 call f"}},
		{"dots are not names", "function(...) list(..., ..1)", []string{"1:1 operator function", "1:15 call list"}},
		{"namespace", "stats::sd(x)", []string{"1:1 load stats@stats", "1:6 operator ::", "1:8 namespace sd@stats", "1:11 symbol x"}},
		{"namespace internal", "stats:::Pillai", []string{"1:1 load stats@stats", "1:6 operator :::", "1:9 namespace_internal Pillai@stats"}},
		{"namespace strings", `"base"::"system"`, []string{"1:1 load base@base", "1:7 operator ::", "1:9 namespace system@base"}},
		{"replacement", "names(x) <- v", []string{"1:1 replacement names<-", "1:7 symbol x", "1:10 operator <-", "1:13 symbol v"}},
		{"replacement index", "x[i] <- v", []string{"1:1 symbol x", "1:2 replacement [<-", "1:3 symbol i", "1:6 operator <-", "1:9 symbol v"}},
		{"replacement dollar", "x$a <- 1", []string{"1:1 symbol x", "1:2 replacement $<-", "1:5 operator <-"}},
		{"replacement nested", "names(x)[2] <- v", []string{"1:1 call names", "1:1 replacement names<-", "1:7 symbol x", "1:9 replacement [<-", "1:13 operator <-", "1:16 symbol v"}},
		{"replacement namespace", "pkg::f(x) <- v", []string{"1:1 load pkg@pkg", "1:4 operator ::", "1:6 replacement f<-@pkg", "1:8 symbol x", "1:11 operator <-", "1:14 symbol v"}},
		{"replacement deep", "attr(x[[1]], 'a')$b <- 2", []string{"1:1 call attr", "1:1 replacement attr<-", "1:6 symbol x", "1:7 operator [[", "1:7 replacement [[<-", "1:18 replacement $<-", "1:21 operator <-"}},
		{"replacement through computed function", "x$f(y) <- 1", []string{"1:1 dynamic ", "1:1 symbol x", "1:2 operator $", "1:5 symbol y", "1:8 operator <-"}},
		{"library", "library(MASS); require('lattice')", []string{"1:1 call library", "1:9 load MASS@MASS", "1:16 call require", "1:24 load lattice@lattice"}},
		{"library character.only", "library(p, character.only = TRUE)", []string{"1:1 call library", "1:9 dynamic ", "1:9 symbol p"}},
		{"requireNamespace evaluates its argument", "requireNamespace(p)", []string{"1:1 call requireNamespace", "1:18 dynamic ", "1:18 symbol p"}},
		{"loadNamespace", "loadNamespace('tools')", []string{"1:1 call loadNamespace", "1:15 load tools@tools"}},
		{"getExportedValue", "getExportedValue('base', 'system')", []string{"1:1 call getExportedValue", "1:18 load base@base", "1:26 namespace system@base"}},
		{"string function argument", `lapply(x, "system")`, []string{"1:1 call lapply", "1:8 symbol x", "1:11 string system"}},
		{"symbol function argument", "lapply(x, system)", []string{"1:1 call lapply", "1:8 symbol x", "1:11 symbol system"}},
		{"function argument by partial name", `sapply(F = "system", X = x)`, []string{"1:1 call sapply", "1:12 string system", "1:26 symbol x"}},
		{"function argument by position after names", `Reduce(x = v, "+")`, []string{"1:1 call Reduce", "1:12 symbol v", "1:15 string +"}},
		{"outer third", `outer(a, b, "paste")`, []string{"1:1 call outer", "1:7 symbol a", "1:10 symbol b", "1:13 string paste"}},
		{"string index function", `lapply(l, "[", 1)`, []string{"1:1 call lapply", "1:8 symbol l", "1:11 string ["}},
		{"do.call", `do.call("rbind", l)`, []string{"1:1 call do.call", "1:9 string rbind", "1:18 symbol l"}},
		{"get", `get("system")`, []string{"1:1 call get", "1:5 string system"}},
		{"mget", `mget(c("a", "b"))`, []string{"1:1 call mget", "1:6 call c", "1:8 string a", "1:13 string b"}},
		{"exists with mode function", `exists("f", mode = "function")`, []string{"1:1 call exists", "1:8 string f"}},
		{"exists without mode", `exists("f")`, []string{"1:1 call exists"}},
		{"user function as argument", "f <- function(x) x; sapply(v, f)", []string{"1:3 operator <-", "1:6 operator function", "1:21 call sapply", "1:28 symbol v", "1:31 symbol f"}},
		{"variable as function argument", `fn <- "system"; lapply(x, fn)`, []string{"1:4 operator <-", "1:17 call lapply", "1:24 symbol x", "1:27 dynamic ", "1:27 symbol fn"}},
		{"formal as function argument", "function(f) sapply(x, f)", []string{"1:1 operator function", "1:13 call sapply", "1:20 symbol x", "1:23 dynamic ", "1:23 symbol f"}},
		{"computed function argument", "lapply(x, fs[[1]])", []string{"1:1 call lapply", "1:8 symbol x", "1:11 dynamic ", "1:11 symbol fs", "1:13 operator [["}},
		{"function literal argument", "lapply(x, function(i) i)", []string{"1:1 call lapply", "1:8 symbol x", "1:11 operator function"}},
		{"function argument from dots", "function(...) lapply(...)", []string{"1:1 operator function", "1:15 call lapply", "1:15 dynamic "}},
		{"get of a variable", "get(x)", []string{"1:1 call get", "1:5 dynamic ", "1:5 symbol x"}},
		{"computed call", "f()()", []string{"1:1 call f", "1:1 dynamic "}},
		{"member call", "x$f(1)", []string{"1:1 dynamic ", "1:1 symbol x", "1:2 operator $"}},
		{"paren call", "(g)(1)", []string{"1:1 dynamic ", "1:1 operator (", "1:2 symbol g"}},
		{"function literal call", "(function(x) x)(1)", []string{"1:1 operator (", "1:2 operator function"}},
		{"namespace call of a known function", `base::lapply(x, "system")`, []string{"1:1 load base@base", "1:5 operator ::", "1:7 namespace lapply@base", "1:14 symbol x", "1:17 string system"}},
		{"library passed as a function", `do.call("library", list(p))`, []string{"1:1 call do.call", "1:9 dynamic ", "1:9 string library", "1:20 call list", "1:25 load p@p", "1:25 symbol p"}},
		{"require applied to names", "lapply(pkgs, require)", []string{"1:1 call lapply", "1:8 symbol pkgs", "1:14 dynamic ", "1:14 symbol require"}},
		{"eval of computed code", `eval(parse(text = "1"))`, []string{"1:1 call eval", "1:6 call parse", "1:6 dynamic "}},
		{"multi-line positions", "x <- 1\n\tf(x)", []string{"1:3 operator <-", "2:9 call f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := format(find(t, tt.src))
			assert.Equal(t, tt.want, got, "%s", strings.Join(got, "\n"))
		})
	}
}

func TestFindDetailsForLoads(t *testing.T) {
	refs := find(t, "library(MASS); requireNamespace('a'); stats::sd; attachNamespace('b')")
	var details []string
	for _, r := range refs {
		if r.Kind == KindLoad {
			details = append(details, r.Detail)
		}
	}
	assert.Equal(t, []string{"library(MASS)", "requireNamespace(a)", "stats::sd", "attachNamespace(b)"}, details)
}

func TestFindIsDeterministicAndSorted(t *testing.T) {
	src := "f <- function(x, ...) { y <- lapply(x, 'g'); names(y)[1] <- 'a'; base::sum(y, ...) }"
	first := find(t, src)
	for i := 0; i < 10; i++ {
		assert.Equal(t, first, find(t, src))
	}
	for i := 1; i < len(first); i++ {
		a, b := first[i-1].Pos, first[i].Pos
		assert.True(t, a.Line < b.Line || a.Line == b.Line && a.Col <= b.Col, "not sorted at %d", i)
	}
}

func TestFindNil(t *testing.T) {
	assert.Nil(t, Find(nil))
	assert.Empty(t, find(t, "# nothing"))
}
