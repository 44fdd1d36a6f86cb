package policy

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// semanticsPolicy exercises every part of the model: roles with
// inheritance, globs, deny overriding allow, default deny, personal grants.
var semanticsPolicy = map[string]string{
	"roles/base.csv": `
p, role:base, base::mean, call, allow
p, role:base, base::[<-, call, allow
p, role:base, glob:stats::*, call, allow
p, role:base, stats::filter, call, deny
p, role:base, pkg:stats, load, allow
`,
	"roles/more.csv": `
g, role:more, role:base
p, role:more, base::sum, call, allow
p, role:more, pkg:jsonlite, load, allow
p, role:more, glob:jsonlite::*, call, allow
`,
	"roles/star.csv": `
p, role:star, base::*, call, allow
`,
	"users/alice.csv": `
g, alice, role:more
p, alice, jsonlite::toJSON, call, deny
`,
	"users/bob.csv": `
g, bob, role:base
p, bob, stats::filter, call, allow
p, bob, dynamic:call, call, allow
`,
	"users/carol.csv": `
g, carol, role:star
`,
}

func TestDecisionSemantics(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	s := e.snap()
	tests := []struct {
		name, user, obj, act string
		allowed              bool
		reason               string
	}{
		{"direct role allow", "bob", "base::mean", ActCall, true, ""},
		{"replacement function exact", "bob", "base::[<-", ActCall, true, ""},
		{"glob allow", "bob", "stats::lm", ActCall, true, ""},
		{"glob does not cross packages", "bob", "statsx::lm", ActCall, false, reasonNoRule},
		{"default deny", "bob", "base::system", ActCall, false, reasonNoRule},
		{"deny overrides role glob", "alice", "stats::filter", ActCall, false, "p, role:base, stats::filter, call, deny"},
		{"deny overrides a personal allow", "bob", "stats::filter", ActCall, false, "p, role:base, stats::filter, call, deny"},
		{"inherited role", "alice", "base::mean", ActCall, true, ""},
		{"own role", "alice", "base::sum", ActCall, true, ""},
		{"not inherited downwards", "bob", "base::sum", ActCall, false, reasonNoRule},
		{"personal deny within a role glob", "alice", "jsonlite::toJSON", ActCall, false, "p, alice, jsonlite::toJSON, call, deny"},
		{"role glob", "alice", "jsonlite::fromJSON", ActCall, true, ""},
		{"load", "alice", "pkg:jsonlite", ActLoad, true, ""},
		{"load not granted", "bob", "pkg:jsonlite", ActLoad, false, reasonNoRule},
		{"act must match", "alice", "pkg:stats", ActCall, false, reasonNoRule},
		{"capability", "bob", DynamicCall, ActCall, true, ""},
		{"capability not granted", "alice", DynamicCall, ActCall, false, reasonNoRule},
		{"internal not implied by glob", "alice", "internal:stats", ActCall, false, reasonNoRule},
		{"exact * is multiplication only", "carol", "base::*", ActCall, true, ""},
		{"exact * grants nothing else", "carol", "base::system", ActCall, false, reasonNoRule},
		{"unknown user", "mallory", "base::mean", ActCall, false, reasonNoRule},
		{"role name as user has no special power", "role:more", "base::system", ActCall, false, reasonNoRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.decide(tt.user, tt.obj, tt.act)
			require.NoError(t, err)
			assert.Equal(t, tt.allowed, d.allowed)
			if tt.reason != "" {
				assert.Equal(t, tt.reason, d.reason)
			}
		})
	}
}

// TestBucketsAgreeWithFullEnforcer: the bucketed enforcers must give the
// same decision and the same deciding rule as one enforcer over all rules.
func TestBucketsAgreeWithFullEnforcer(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	s := e.snap()
	require.NotNil(t, s.buckets, "the shipped model must allow bucketing")
	objs := []string{"base::mean", "base::[<-", "stats::lm", "stats::filter", "base::system", "base::sum",
		"jsonlite::toJSON", "jsonlite::fromJSON", "pkg:jsonlite", "pkg:stats", DynamicCall, "internal:stats", "base::*"}
	for _, user := range []string{"alice", "bob", "carol"} {
		for _, obj := range objs {
			act := ActFor(obj)
			ok1, ex1, err := s.enf.EnforceEx(user, obj, act)
			require.NoError(t, err)
			ok2, ex2, err := s.enforcerFor(obj).EnforceEx(user, obj, act)
			require.NoError(t, err)
			assert.Equal(t, ok1, ok2, "%s %s", user, obj)
			assert.Equal(t, ex1, ex2, "%s %s", user, obj)
		}
	}
}

// TestModifiedModelRefused: a model.conf whose matcher or effect differs
// from the shipped one is refused with the file and line.
func TestModifiedModelRefused(t *testing.T) {
	base := `[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act, eft
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = r.act == p.act && g(r.sub, p.sub) && objMatch(r.obj, p.obj)
`
	tests := []struct {
		name, old, new string
		line           int
	}{
		{"extra matcher term", "objMatch(r.obj, p.obj)", `objMatch(r.obj, p.obj) || p.obj == "any"`, 10},
		{"matcher always true", "m = r.act == p.act && g(r.sub, p.sub) && objMatch(r.obj, p.obj)", "m = true", 10},
		{"allow wins", "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))", "e = some(where (p.eft == allow))", 8},
		{"second matcher", "[matchers]\n", "[matchers]\nm2 = true\n", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := policyDir(t, semanticsPolicy)
			writeFiles(t, dir, map[string]string{modelFile: strings.Replace(base, tt.old, tt.new, 1)})
			_, err := newEngine(dir, testIndex(t), quietLogger())
			var le *LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tt.line, le.Line)
			assert.True(t, strings.HasSuffix(le.File, modelFile))
			assert.Contains(t, le.Error(), "hint")
		})
	}
	// Spacing is not a difference.
	dir := policyDir(t, semanticsPolicy)
	writeFiles(t, dir, map[string]string{modelFile: strings.Replace(base, "r.act == p.act", "r.act==p.act", 1)})
	_, err := newEngine(dir, testIndex(t), quietLogger())
	require.NoError(t, err)
}

func TestUsersRolesHasUser(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	assert.Equal(t, []string{"alice", "bob", "carol"}, e.Users())
	assert.True(t, e.HasUser("alice"))
	assert.False(t, e.HasUser("mallory"))
	assert.False(t, e.HasUser("role:base"))
	assert.ElementsMatch(t, []string{"role:more", "role:base"}, e.Roles("alice"))
	assert.Equal(t, "role:more", e.Roles("alice")[0], "direct roles come first")
	assert.Equal(t, []string{"role:base"}, e.Roles("bob"))
	assert.Nil(t, e.Roles("mallory"))
}

func TestUnknownUser(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	_, err := e.Allowlist("mallory")
	assert.ErrorIs(t, err, ErrUnknownUser)
	_, err = e.Explain("mallory", "base::mean", ActCall)
	assert.ErrorIs(t, err, ErrUnknownUser)
	_, err = e.decideForTest("mallory", []reference{{Name: "mean", Kind: refCall, Line: 1, Col: 1}})
	assert.ErrorIs(t, err, ErrUnknownUser)
}

func TestExplain(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	ex, err := e.Explain("alice", "stats::filter", ActCall)
	require.NoError(t, err)
	assert.False(t, ex.Allowed)
	assert.Equal(t, "p, role:base, stats::filter, call, deny", ex.Reason)
	assert.Equal(t, 5, ex.Source.Line)
	assert.Equal(t, "base.csv", filepath.Base(ex.Source.File))
	assert.ElementsMatch(t, []string{"role:more", "role:base"}, ex.Roles)
	var rules []string
	for _, r := range ex.Rules {
		rules = append(rules, r.Rule)
	}
	assert.Equal(t, []string{"p, role:base, glob:stats::*, call, allow", "p, role:base, stats::filter, call, deny"}, rules)

	ex, err = e.Explain("alice", "base::system", ActCall)
	require.NoError(t, err)
	assert.False(t, ex.Allowed)
	assert.Equal(t, reasonNoRule, ex.Reason)
	assert.Empty(t, ex.Rules)

	ex, err = e.Explain("alice", "base::sum", ActCall)
	require.NoError(t, err)
	assert.True(t, ex.Allowed)
	require.Len(t, ex.Rules, 1)
	assert.Equal(t, "role:more", ex.Rules[0].Subject)

	_, err = e.Explain("alice", "glob:stats::*", ActCall)
	assert.Error(t, err, "patterns are not request objects")
	_, err = e.Explain("alice", "base::mean", "exec")
	assert.Error(t, err)
}

func TestAllowlist(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	a, err := e.Allowlist("alice")
	require.NoError(t, err)
	// Search order first (stats, utils, base), then the rest by name;
	// jsonlite loadable, MASS not.
	assert.Equal(t, []string{"stats::lm", "stats::sd", "base::[<-", "base::mean", "base::sum", "jsonlite::fromJSON"}, a.Functions)
	assert.Equal(t, []string{"stats", "jsonlite"}, a.Packages)
	assert.Empty(t, a.Internal)
	assert.False(t, a.Dynamic)

	b, err := e.Allowlist("bob")
	require.NoError(t, err)
	assert.True(t, b.Dynamic)
	assert.NotContains(t, b.Functions, "stats::filter", "a role deny beats a personal allow")

	again, err := e.Allowlist("alice")
	require.NoError(t, err)
	assert.Same(t, a, again, "cached per policy generation")
}

// decideForTest runs the decision part of Check on hand-made references.
func (e *Engine) decideForTest(user string, refs []reference) (*Decision, error) {
	s := e.snap()
	if err := e.checkUser(s, user); err != nil {
		return nil, err
	}
	return e.decideRefs(s, user, refs)
}

func TestReloadChangesNextDecisionAndDropsCaches(t *testing.T) {
	dir := policyDir(t, semanticsPolicy)
	e := newTestEngine(t, dir, testIndex(t))
	refs := []reference{{Name: "system", Kind: refCall, Line: 3, Col: 7}}

	d, err := e.decideForTest("bob", refs)
	require.NoError(t, err)
	require.False(t, d.Allowed)
	a, err := e.Allowlist("bob")
	require.NoError(t, err)
	require.NotContains(t, a.Functions, "base::system")

	writeFiles(t, dir, map[string]string{"users/bob.csv": semanticsPolicy["users/bob.csv"] + "p, bob, base::system, call, allow\n"})
	require.NoError(t, e.Reload())

	d, err = e.decideForTest("bob", refs)
	require.NoError(t, err)
	assert.True(t, d.Allowed, "the cached deny must not survive the reload")
	a, err = e.Allowlist("bob")
	require.NoError(t, err)
	assert.Contains(t, a.Functions, "base::system", "the cached allowlist must not survive the reload")

	// And back: the cached allow must not survive either (stale-allow trap).
	writeFiles(t, dir, map[string]string{"users/bob.csv": semanticsPolicy["users/bob.csv"]})
	require.NoError(t, e.Reload())
	d, err = e.decideForTest("bob", refs)
	require.NoError(t, err)
	assert.False(t, d.Allowed)
}

func TestBrokenReloadKeepsPreviousPolicy(t *testing.T) {
	dir := policyDir(t, semanticsPolicy)
	e := newTestEngine(t, dir, testIndex(t))
	writeFiles(t, dir, map[string]string{"users/alice.csv": "g, alice, role:more\np, alice, base::system, call, allow, extra\n"})
	err := e.Reload()
	require.Error(t, err)
	var le *LoadError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, filepath.Join(dir, "users/alice.csv"), le.File)
	assert.Equal(t, 2, le.Line)
	assert.Contains(t, le.Error(), "4 fields")

	d, err := e.snap().decide("alice", "base::sum", ActCall)
	require.NoError(t, err)
	assert.True(t, d.allowed, "previous policy still in force")
	d, err = e.snap().decide("alice", "base::system", ActCall)
	require.NoError(t, err)
	assert.False(t, d.allowed, "the broken file's grant is not applied")

	// Removing a user's file removes the user.
	require.NoError(t, os.Remove(filepath.Join(dir, "users/alice.csv")))
	require.NoError(t, e.Reload())
	assert.False(t, e.HasUser("alice"))
}

// TestWatchAppliesEditsAndReportsBrokenOnes holds the engine while a test
// edits the policy on disk, as an operator would.
func TestWatchAppliesEditsAndReportsBrokenOnes(t *testing.T) {
	dir := policyDir(t, semanticsPolicy)
	e := newTestEngine(t, dir, testIndex(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan ReloadEvent, 16)
	require.NoError(t, e.Watch(ctx, func(ev ReloadEvent) { events <- ev }))

	next := func() ReloadEvent {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(time.Second):
			t.Fatal("no reload within a second of the edit")
			return ReloadEvent{}
		}
	}
	refs := []reference{{Name: "get", Kind: refCall, Line: 1, Col: 1}}
	d, err := e.decideForTest("bob", refs)
	require.NoError(t, err)
	require.False(t, d.Allowed)

	writeFiles(t, dir, map[string]string{"users/bob.csv": semanticsPolicy["users/bob.csv"] + "p, bob, base::get, call, allow\n"})
	ev := next()
	require.True(t, ev.OK, "reload failed: %v", ev.Err)
	assert.Equal(t, filepath.Join(dir, "users/bob.csv"), ev.File)
	d, err = e.decideForTest("bob", refs)
	require.NoError(t, err)
	assert.True(t, d.Allowed, "the edit is in force")

	writeFiles(t, dir, map[string]string{"roles/more.csv": "g, role:more, role:base\np, role:more, base::sum, call, perhaps\n"})
	ev = next()
	assert.False(t, ev.OK)
	assert.Equal(t, filepath.Join(dir, "roles/more.csv"), ev.File)
	assert.Equal(t, 2, ev.Line)
	var le *LoadError
	require.True(t, errors.As(ev.Err, &le))
	assert.Contains(t, ev.Err.Error(), `effect "perhaps"`)
	d, err = e.decideForTest("bob", refs)
	require.NoError(t, err)
	assert.True(t, d.Allowed, "the previous policy stays in force after a broken edit")

	// A new user file appears: picked up as well.
	writeFiles(t, dir, map[string]string{"roles/more.csv": semanticsPolicy["roles/more.csv"], "users/dave.csv": "g, dave, role:base\n"})
	deadline := time.Now().Add(time.Second)
	for !e.HasUser("dave") && time.Now().Before(deadline) {
		select {
		case <-events:
		case <-time.After(50 * time.Millisecond):
		}
	}
	assert.True(t, e.HasUser("dave"))
}

func TestUnknownObjectsAreReported(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"roles/r.csv": "p, role:r, base::mena, call, allow\np, role:r, base::mean, call, allow\np, role:r, notinstalled::f, call, allow\np, role:r, glob:base::zz*, call, allow\n",
	})
	var logs logBuffer
	e, err := newEngine(dir, testIndex(t), slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	var got []string
	for _, r := range e.unknownObjects(e.snap().set) {
		got = append(got, r.String())
	}
	assert.Equal(t, []string{"p, role:r, base::mena, call, allow"}, got, "only a missing name of an installed package is a sure typo")
	assert.Contains(t, logs.String(), "base::mena")
}
