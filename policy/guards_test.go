package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAllowlistGuards: the shipped users' allowlists carry a guard for
// every parameter of an allowed function that the model classifies, and
// none for functions they may not call.
func TestAllowlistGuards(t *testing.T) {
	e := shippedEngine(t)
	for _, user := range []string{"guest", "alice"} {
		a, err := e.Allowlist(user)
		require.NoError(t, err)
		require.NotEmpty(t, a.Guards, user)
		has := func(fn, param, kind string) bool {
			return slices.Contains(a.Guards, Guard{Function: fn, Param: param, Kind: kind})
		}
		assert.True(t, has("base::lapply", "FUN", "fun"), user)
		assert.True(t, has("base::Reduce", "f", "fun"), user)
		assert.True(t, has("base::do.call", "what", "fun"), user)
		assert.True(t, has("base::do.call", "args", "code"), user)
		assert.True(t, has("base::Vectorize", "FUN", "fun"), user)
		assert.True(t, has("base::withRestarts", "...", "fun"), user)
		assert.True(t, has("base::outer", "FUN", "fun"), user)
		assert.True(t, has("stats::ave", "FUN", "fun"), user)
		assert.True(t, has("stats::lm", "formula", "formula"), user)
		assert.True(t, has("base::new.env", "parent", "env"), user)
		// aggregate's FUN is its methods'; the generic passes it in ...
		assert.True(t, has("stats::aggregate", "...", "fun"), user)
		// Denied functions get no guard.
		assert.False(t, has("base::eval", "expr", "code"), user)
		assert.False(t, has("base::get", "x", "fun"), user)
		for _, g := range a.Guards {
			assert.True(t, slices.Contains(a.Functions, g.Function), "guard for a function %s may not call: %v", user, g)
			assert.Contains(t, []string{"fun", "code", "formula", "env", "unserialize"}, g.Kind)
			assert.NotEmpty(t, g.Param)
		}
		assert.True(t, slices.IsSortedFunc(a.Guards, func(x, y Guard) int {
			return strings.Compare(x.Function+"\x00"+x.Param+"\x00"+x.Kind, y.Function+"\x00"+y.Param+"\x00"+y.Kind)
		}), "guards sorted")
	}
	alice, err := e.Allowlist("alice")
	require.NoError(t, err)
	assert.True(t, slices.Contains(alice.Guards, Guard{Function: "base::readRDS", Param: "file", Kind: "unserialize"}))
	guest, err := e.Allowlist("guest")
	require.NoError(t, err)
	assert.False(t, slices.Contains(guest.Guards, Guard{Function: "base::readRDS", Param: "file", Kind: "unserialize"}))
}
