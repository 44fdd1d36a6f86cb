package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runtime allowlist (layer 4) on its own: user code reaches only the
// listed objects; everything else fails with "not allowed" or "could not
// find", never reaching the function.
func TestRuntimeAllowlist(t *testing.T) {
	p := newTestPool(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := p.Acquire(ctx, Binding{User: "t", Limits: testLimits(), Allowlist: &Allowlist{
		Functions: []string{"base::+", "base::c", "base::sum", "base::{", "base::<-", "base::<<-",
			"base::(", "base::function", "base::pi", "stats::median", "base::lapply", "datasets::cars",
			"base::nrow", "base::[", "base::list"},
		Packages: []string{"stats"},
	}})
	require.NoError(t, err)
	defer s.Close()
	for _, tc := range []struct {
		code, out, err string
	}{
		{code: "sum(c(1, 2)) + pi", out: "[1] 6.141593\n"},
		{code: "stats::median(c(1, 3, 9))", out: "[1] 3\n"},
		{code: "nrow(cars)", out: "[1] 50\n"},
		{code: "f <- function(x) x + 1; f(1)", out: "[1] 2\n"},
		{code: "unlist(lapply(list(1, 2), function(v) v + 1))", err: `could not find function "unlist"`},
		{code: `system("id")`, err: `could not find function "system"`},
		{code: `base::system("id")`, err: "not allowed: base::system"},
		{code: `base:::system("id")`, err: "not allowed: base:::system"},
		{code: "stats::sd(1:3)", err: "not allowed: stats::sd"},
		{code: "library(parallel)", err: "not allowed: loading package parallel"},
		{code: `lapply(1, "system")`, err: "system"},
		{code: `match.fun("system")`, err: `could not find function "match.fun"`},
		{code: ".BaseNamespaceEnv", err: "object '.BaseNamespaceEnv' not found"},
		{code: "sum <<- function(...) 0", err: "cannot change value of locked binding"},
	} {
		res, err := s.Eval(ctx, tc.code, EvalOptions{}, nil)
		require.NoError(t, err, tc.code)
		if tc.err == "" {
			assert.Equal(t, StatusOK, res.Status, "%s: %s", tc.code, res.Error)
			assert.Equal(t, tc.out, string(res.Output), tc.code)
			continue
		}
		assert.Equal(t, StatusError, res.Status, tc.code)
		assert.Contains(t, res.Error, tc.err, tc.code)
		assert.NotContains(t, string(res.Output), "uid=", tc.code)
	}
}
