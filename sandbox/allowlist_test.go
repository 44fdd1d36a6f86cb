package sandbox

import (
	"context"
	"fmt"
	"strings"
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

// Assign and SetErrorMessage: data lands in the session, code does not;
// geterrmessage() returns what rwarden set and the last R error.
func TestAssignAndErrorMessage(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	ctx := context.Background()
	// serialize(list(a = 1:3, b = "x"), NULL, version = 2), made by R.
	res := eval(t, s, `x <- serialize(list(a = 1:3, b = "x"), NULL, version = 2); f <- serialize(function() 1, NULL, version = 2); cat(paste(as.character(x), collapse = " "), "\n", paste(as.character(f), collapse = " "), "\n", sep = "")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	lines := strings.Split(strings.TrimSpace(string(res.Output)), "\n")
	require.Len(t, lines, 2)
	require.NoError(t, s.Assign(ctx, "v", hexBytes(t, lines[0])))
	res = eval(t, s, "str(v)")
	assert.Contains(t, string(res.Output), "List of 2")
	err := s.Assign(ctx, "g", hexBytes(t, lines[1]))
	assert.ErrorContains(t, err, "only data values can be assigned")
	res = eval(t, s, `exists("g")`)
	assert.Equal(t, "[1] FALSE\n", string(res.Output))

	eval(t, s, `stop("boom")`)
	res = eval(t, s, "geterrmessage()")
	assert.Equal(t, "[1] \"Error: boom\\n\"\n", string(res.Output))
	require.NoError(t, s.SetErrorMessage(ctx, "Error: not allowed: base::system\n"))
	res = eval(t, s, "cat(geterrmessage())")
	assert.Equal(t, "Error: not allowed: base::system\n", string(res.Output))
}

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	var out []byte
	for _, f := range strings.Fields(s) {
		var b byte
		_, err := fmt.Sscanf(f, "%02x", &b)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}
