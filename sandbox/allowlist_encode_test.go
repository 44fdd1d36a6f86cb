package sandbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bind request carries the guards as "G\tpkg::name\tparam\tkind" lines
// after the functions and packages; malformed guards are refused before a
// worker sees them (the request is line- and tab-separated).
func TestAllowlistEncodeGuards(t *testing.T) {
	a := &Allowlist{Functions: []string{"base::lapply"}, Packages: []string{"stats"},
		Guards: []Guard{{Function: "base::lapply", Param: "FUN", Kind: GuardFun},
			{Function: "base::withRestarts", Param: "...", Kind: GuardFun},
			{Function: "stats::lm", Param: "formula", Kind: GuardFormula}}}
	body, err := a.encode()
	require.NoError(t, err)
	assert.Equal(t, "mode\tallowlist\nF\tbase::lapply\nP\tstats\n"+
		"G\tbase::lapply\tFUN\tfun\nG\tbase::withRestarts\t...\tfun\nG\tstats::lm\tformula\tformula\n", string(body))

	for _, g := range []Guard{
		{Function: "lapply", Param: "FUN", Kind: GuardFun},
		{Function: "base::", Param: "FUN", Kind: GuardFun},
		{Function: "base::lapply", Param: "", Kind: GuardFun},
		{Function: "base::lapply", Param: "FUN", Kind: "value"},
		{Function: "base::lapply", Param: "FUN\tx", Kind: GuardFun},
		{Function: "base::lapply\n", Param: "FUN", Kind: GuardFun},
		{Function: "base::lapply", Param: "FUN\x00", Kind: GuardFun},
	} {
		_, err := (&Allowlist{Functions: []string{"base::lapply"}, Guards: []Guard{g}}).encode()
		assert.Error(t, err, "%+v", g)
	}
}
