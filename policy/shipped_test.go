package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shippedEngine opens the shipped policies against the installed R.
func shippedEngine(t testing.TB) *Engine {
	t.Helper()
	return newTestEngine(t, shippedDir, realIndex(t))
}

func TestShippedUsersAndRoles(t *testing.T) {
	e := shippedEngine(t)
	assert.Equal(t, []string{"admin", "alice", "guest"}, e.Users())
	assert.Equal(t, []string{"role:restricted", "role:compute"}, e.Roles("guest"))
	assert.Equal(t, []string{"role:analyst", "role:compute"}, e.Roles("alice"))
	assert.Equal(t, []string{"role:admin"}, e.Roles("admin"))
}

func TestShippedDecisions(t *testing.T) {
	e := shippedEngine(t)
	s := e.snap()
	type want struct{ guest, alice, admin bool }
	tests := []struct {
		obj string
		want
	}{
		// Pure computation: everyone.
		{"base::mean", want{true, true, true}},
		{"base::[<-", want{true, true, true}},
		{"base::[[<-", want{true, true, true}},
		{"base::*", want{true, true, true}},
		{"base::%in%", want{true, true, true}},
		{"base::names<-", want{true, true, true}},
		{"base::lapply", want{true, true, true}},
		{"base::print.data.frame", want{true, true, true}},
		{"base::*.difftime", want{true, true, true}},
		{"base::pi", want{true, true, true}},
		{"stats::lm", want{true, true, true}},
		{"utils::head", want{true, true, true}},
		{"datasets::iris", want{true, true, true}},
		{"methods::setClass", want{true, true, true}},
		{"pkg:stats", want{true, true, true}},
		// Files, graphics and packages: analyst and admin.
		{"utils::read.csv", want{false, true, true}},
		{"base::readRDS", want{false, true, true}},
		{"base::file", want{false, true, true}},
		{"grDevices::png", want{false, true, true}},
		{"graphics::hist", want{false, true, true}},
		{"stats::qqnorm", want{false, true, true}},
		{"stats::plot.ts", want{false, true, true}},
		{"base::library", want{false, true, true}},
		{"pkg:jsonlite", want{false, true, true}},
		{"jsonlite::fromJSON", want{false, true, true}},
		// Only admin.
		{"jsonlite::unserializeJSON", want{false, false, true}},
		{"pkg:parallel", want{false, false, true}},
		{"pkg:tools", want{false, false, true}},
		{"grDevices::postscript", want{false, false, true}},
		{"base::loadNamespace", want{false, false, true}},
		{"base::as.function.default", want{false, false, true}},
		{DynamicCall, want{false, false, true}},
		{"internal:stats", want{false, false, true}},
		// Hard denies: processes, environment, evaluation, frames, hooks,
		// native code, connections.
		{"base::system", want{false, false, true}},
		{"base::system2", want{false, false, true}},
		{"base::pipe", want{false, false, true}},
		{"base::Sys.setenv", want{false, false, true}},
		{"base::Sys.getenv", want{false, false, true}},
		{"base::eval", want{false, false, true}},
		{"base::parse", want{false, false, true}},
		{"base::str2lang", want{false, false, true}},
		{"base::body<-", want{false, false, true}},
		{"base::get", want{false, false, true}},
		{"base::assign", want{false, false, true}},
		{"base::environment", want{false, false, true}},
		{"base::sys.function", want{false, false, true}},
		{"base::dynGet", want{false, false, true}},
		{"base::sys.status", want{false, false, true}},
		{"utils::dump.frames", want{false, false, true}},
		{"base::parent.frame", want{false, false, true}},
		{"base::globalenv", want{false, false, true}},
		{"base::asNamespace", want{false, false, true}},
		{"base::.BaseNamespaceEnv", want{false, false, true}},
		{"base::options", want{false, false, true}},
		{"base::setHook", want{false, false, true}},
		{"base::trace", want{false, false, true}},
		{"base::reg.finalizer", want{false, false, true}},
		{"base::registerS3method", want{false, false, true}},
		{"base::.S3method", want{false, false, true}},
		{"base::makeActiveBinding", want{false, false, true}},
		{"base::.Internal", want{false, false, true}},
		{"base::.Call", want{false, false, true}},
		{"base::dyn.load", want{false, false, true}},
		{"base::socketConnection", want{false, false, true}},
		{"base::url", want{false, false, true}},
		{"base::Recall", want{false, false, true}},
		{"base::do.call", want{true, true, true}},
		{"stats::as.formula", want{false, false, true}},
		{"utils::getFromNamespace", want{false, false, true}},
		{"methods::getFunction", want{false, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.obj, func(t *testing.T) {
			for user, allowed := range map[string]bool{"guest": tt.guest, "alice": tt.alice, "admin": tt.admin} {
				d, err := s.decide(user, tt.obj, ActFor(tt.obj))
				require.NoError(t, err)
				assert.Equal(t, allowed, d.allowed, "%s for %s (%s)", tt.obj, user, d.reason)
			}
		})
	}
}

// TestShippedHardDeniesCannotBeReopened: a user file granting a hard-denied
// function to an analyst, by name and by a glob over its package, changes
// nothing, because role:compute denies it.
func TestShippedHardDeniesCannotBeReopened(t *testing.T) {
	for _, fn := range []string{"base::system", "base::.S3method", "base::registerS3method", "base::dynGet", "base::sys.status", "utils::dump.frames"} {
		t.Run(fn, func(t *testing.T) {
			pkg, _, _ := strings.Cut(fn, "::")
			dir := t.TempDir()
			copyDir(t, shippedDir, dir)
			writeFiles(t, dir, map[string]string{"users/alice.csv": "g, alice, role:analyst\np, alice, " + fn +
				", call, allow\np, alice, glob:" + pkg + "::*, call, allow\n"})
			e := newTestEngine(t, dir, realIndex(t))
			ex, err := e.Explain("alice", fn, ActCall)
			require.NoError(t, err)
			assert.False(t, ex.Allowed)
			assert.Equal(t, "p, role:compute, "+fn+", call, deny", ex.Reason)
			assert.Len(t, ex.Rules, 3, "the two personal allows and the deny")
		})
	}
}

// TestAnalystIsSupersetOfRestricted holds on the installed R: everything a
// restricted user may use, an analyst may use too.
func TestAnalystIsSupersetOfRestricted(t *testing.T) {
	e := shippedEngine(t)
	g, err := e.Allowlist("guest")
	require.NoError(t, err)
	a, err := e.Allowlist("alice")
	require.NoError(t, err)
	for _, f := range g.Functions {
		assert.True(t, slices.Contains(a.Functions, f), "%s allowed for guest but not alice", f)
	}
	for _, p := range g.Packages {
		assert.Contains(t, a.Packages, p)
	}
	assert.Greater(t, len(a.Functions), len(g.Functions))
}

func TestShippedAllowlists(t *testing.T) {
	e := shippedEngine(t)
	ix := e.Index()
	g, err := e.Allowlist("guest")
	require.NoError(t, err)
	assert.False(t, g.Dynamic)
	assert.Empty(t, g.Internal)
	assert.Equal(t, DefaultSearchOrder, g.Packages)
	assert.Contains(t, g.Functions, "base::mean")
	assert.Contains(t, g.Functions, "base::pi")
	assert.Contains(t, g.Functions, "datasets::iris")
	assert.NotContains(t, g.Functions, "base::system")
	assert.NotContains(t, g.Functions, "base::.BaseNamespaceEnv")
	assert.NotContains(t, g.Functions, "utils::read.csv")
	// Concrete, in search order: every stats object comes before any base
	// object, and every entry exists in the index.
	lastStats, firstBase := -1, len(g.Functions)
	for i, f := range g.Functions {
		pkg, name, ok := splitFunction(f)
		require.True(t, ok, f)
		p := ix.Packages[pkg]
		require.NotNil(t, p, f)
		assert.True(t, p.funcs[name] || p.vars[name], "%s is not in the index", f)
		if pkg == "stats" {
			lastStats = i
		}
		if pkg == "base" && i < firstBase {
			firstBase = i
		}
	}
	assert.Less(t, lastStats, firstBase)

	a, err := e.Allowlist("alice")
	require.NoError(t, err)
	assert.Contains(t, a.Packages, "jsonlite")
	assert.NotContains(t, a.Packages, "parallel")
	assert.Contains(t, a.Functions, "jsonlite::fromJSON")
	assert.NotContains(t, a.Functions, "parallel::mclapply")

	ad, err := e.Allowlist("admin")
	require.NoError(t, err)
	assert.True(t, ad.Dynamic)
	assert.Contains(t, ad.Functions, "base::system")
	assert.Contains(t, ad.Internal, "stats")
}

// TestShippedBucketsAgree compares the bucketed enforcers with one
// enforcer over all rules on every base object, for the shipped policy.
func TestShippedBucketsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the full enforcer on every base object")
	}
	e := shippedEngine(t)
	s := e.snap()
	require.NotNil(t, s.buckets)
	base := e.Index().Packages["base"]
	for _, user := range []string{"guest", "alice"} {
		for _, names := range [][]string{base.Functions, base.Variables} {
			for _, n := range names {
				obj := FunctionObject("base", n)
				ok1, ex1, err := s.enf.EnforceEx(user, obj, ActCall)
				require.NoError(t, err)
				ok2, ex2, err := s.enforcerFor(obj).EnforceEx(user, obj, ActCall)
				require.NoError(t, err)
				require.Equal(t, ok1, ok2, "%s %s", user, obj)
				require.Equal(t, ex1, ex2, "%s %s", user, obj)
			}
		}
	}
}

// TestShippedRulesNameRealObjects: every exact object in the shipped
// policy exists in the installed R, so no rule is a dead typo.
func TestShippedRulesNameRealObjects(t *testing.T) {
	e := shippedEngine(t)
	var dead []string
	for _, r := range e.unknownObjects(e.snap().set) {
		dead = append(dead, fmt.Sprintf("%s:%d %s", r.src.File, r.src.Line, r))
	}
	assert.Empty(t, dead)
}

// TestShippedGlobsMatchSomething: a glob that matches nothing in the
// installed R is dead too.
func TestShippedGlobsMatchSomething(t *testing.T) {
	e := shippedEngine(t)
	ix := e.Index()
	for _, r := range e.snap().set.rules {
		if r.ptype != "p" || r.pat.glob == nil || r.fields[2] != ActCall {
			continue
		}
		found := false
		for pkg, p := range ix.Packages {
			for _, names := range [][]string{p.Functions, p.Variables} {
				for _, n := range names {
					if r.pat.match(FunctionObject(pkg, n)) {
						found = true
						break
					}
				}
			}
		}
		assert.True(t, found, "%s:%d %s matches nothing", r.src.File, r.src.Line, r)
	}
}
