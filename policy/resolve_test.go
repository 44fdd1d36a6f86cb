package policy

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequests(t *testing.T) {
	ix := testIndex(t)
	ref := func(kind, pkg, name string, line, col int) reference {
		return reference{Kind: kind, Pkg: pkg, Name: name, Line: line, Col: col}
	}
	tests := []struct {
		name string
		refs []reference
		want []string // "L:C obj act"
	}{
		{"call resolves in search order", []reference{ref(refCall, "", "filter", 1, 1)}, []string{"1:1 stats::filter call"}},
		{"base after stats", []reference{ref(refCall, "", "mean", 1, 1)}, []string{"1:1 base::mean call"}},
		{"user function: no request", []reference{ref(refCall, "", "my_helper", 1, 1)}, nil},
		{"not attached: no request", []reference{ref(refCall, "", "mvrnorm", 1, 1)}, nil},
		{"operator", []reference{ref(refOperator, "", "+", 2, 3)}, []string{"2:3 base::+ call"}},
		{"user %op%", []reference{ref(refOperator, "", "%+%", 2, 3)}, nil},
		{"replacement", []reference{ref(refReplacement, "", "names<-", 1, 1), ref(refReplacement, "", "[<-", 1, 9)}, []string{"1:1 base::names<- call", "1:9 base::[<- call"}},
		{"string in function position", []reference{ref(refString, "", "system", 4, 11)}, []string{"4:11 base::system call"}},
		{"bare symbol of a function", []reference{ref(refSymbol, "", "system", 1, 6)}, []string{"1:6 base::system call"}},
		{"bare symbol of a variable", []reference{ref(refSymbol, "", ".BaseNamespaceEnv", 1, 1)}, []string{"1:1 base::.BaseNamespaceEnv call"}},
		{"variables are not called", []reference{ref(refCall, "", "pi", 1, 1)}, nil},
		{"namespace", []reference{ref(refNamespace, "stats", "sd", 1, 1)}, []string{"1:1 stats::sd call"}},
		{"namespace of an uninstalled package", []reference{ref(refNamespace, "nopkg", "f", 1, 1)}, []string{"1:1 nopkg::f call"}},
		{"internal needs more", []reference{ref(refNamespaceInternal, "stats", "sd", 1, 1)}, []string{"1:1 stats::sd call", "1:1 internal:stats call"}},
		{"qualified call", []reference{ref(refCall, "MASS", "mvrnorm", 1, 1)}, []string{"1:1 MASS::mvrnorm call"}},
		{"dynamic", []reference{ref(refDynamic, "", "", 3, 1)}, []string{"3:1 dynamic:call call"}},
		{"load", []reference{{Kind: refLoad, Name: "jsonlite", Detail: "library(x)", Line: 1, Col: 1}}, []string{"1:1 pkg:jsonlite load"}},
		{"load with odd name is dynamic", []reference{{Kind: refLoad, Name: "x y", Detail: "library(x)", Line: 1, Col: 1}}, []string{"1:1 dynamic:call call"}},
		{
			"library attaches for later lines only",
			[]reference{
				ref(refCall, "", "select", 1, 1),
				{Kind: refLoad, Name: "MASS", Detail: "library(x)", Line: 2, Col: 1},
				ref(refCall, "", "select", 3, 1),
				ref(refCall, "", "mean", 3, 9),
			},
			[]string{"2:1 pkg:MASS load", "3:1 MASS::select call", "3:9 base::mean call"},
		},
		{
			"requireNamespace does not attach",
			[]reference{
				{Kind: refLoad, Name: "MASS", Detail: "requireNamespace(MASS)", Line: 1, Col: 1},
				ref(refCall, "", "select", 2, 1),
			},
			[]string{"1:1 pkg:MASS load"},
		},
		{
			"an attached package masks later packages",
			[]reference{
				{Kind: refLoad, Pkg: "jsonlite", Name: "jsonlite", Detail: "require(jsonlite)", Line: 1, Col: 1},
				ref(refCall, "", "fromJSON", 2, 1),
			},
			[]string{"1:1 pkg:jsonlite load", "2:1 jsonlite::fromJSON call"},
		},
		{"refs are taken in source order", []reference{ref(refCall, "", "sum", 2, 1), ref(refCall, "", "mean", 1, 5)}, []string{"1:5 base::mean call", "2:1 base::sum call"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range ix.requests(tt.refs) {
				got = append(got, fmt.Sprintf("%d:%d %s %s", r.line, r.col, r.obj, r.act))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecisionViolations(t *testing.T) {
	e := newTestEngine(t, policyDir(t, semanticsPolicy), testIndex(t))
	refs := []reference{
		{Kind: refCall, Name: "mean", Line: 1, Col: 1},
		{Kind: refCall, Name: "system", Line: 2, Col: 1},
		{Kind: refCall, Name: "system", Line: 2, Col: 1}, // reported once
		{Kind: refCall, Name: "filter", Line: 1, Col: 9},
		{Kind: refNamespaceInternal, Pkg: "stats", Name: "lm", Line: 3, Col: 1},
		{Kind: refCall, Name: "my_helper", Line: 4, Col: 1},
	}
	d, err := e.decideForTest("alice", refs)
	assert.NoError(t, err)
	assert.False(t, d.Allowed)
	var got []string
	for _, v := range d.Violations {
		got = append(got, v.String())
	}
	assert.Equal(t, []string{
		"1:9 stats::filter (call): p, role:base, stats::filter, call, deny",
		"2:1 base::system (call): no rule matched",
		"3:1 internal:stats (call): no rule matched",
	}, got)

	d, err = e.decideForTest("alice", refs[:1])
	assert.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Empty(t, d.Violations)
}
