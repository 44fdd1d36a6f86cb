package rdata_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// TestAssignStreamAttacks: serializations made by real R that hide code
// where a streamed assignment's check might not look (deep in attributes,
// in pairlists, inside ALTREP wrappers, behind external pointers, in
// srcref-like attributes, in the outer list's own attributes), and names
// that are not one string. Each is refused when it carries anything but
// data, and the in-memory decoder agrees.
func TestAssignStreamAttacks(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, expr string
		data       bool
	}{
		{"closure_deep_in_attribute", `list("v", structure(1, a = list(list(list(function() 1)))))`, false},
		{"closure_in_names_attribute_list", `list("v", structure(list(1), names = "a", extra = list(f = sum)))`, false},
		{"closure_in_pairlist", `list("v", pairlist(a = 1, b = function() 1))`, false},
		{"builtin_in_list", `list("v", list(sum))`, false},
		{"wrapped_list_holding_closure", `list("v", .Internal(wrap_meta(list(1, function() 1), 0L, 0L)))`, false},
		{"wrapped_string", `list("v", .Internal(wrap_meta(c("a", "b"), 0L, 0L)))`, true},
		{"bytecode_closure", `list("v", compiler::cmpfun(function() 1))`, false},
		{"external_pointer_in_list", `list("v", list(methods::new("externalptr")))`, false},
		{"environment_as_attribute", `list("v", structure(1, e = globalenv()))`, false},
		{"base_namespace_in_list", `list("v", list(.BaseNamespaceEnv))`, false},
		{"promise_in_environment", `{e <- new.env(); delayedAssign("x", stop("boom"), assign.env = e); list("v", e)}`, false},
		{"srcfile_environment", `list("v", structure(1:3, srcfile = srcfilecopy("x.R", "1")))`, false},
		{"srcref_like_integers", `list("v", structure(1:8, srcref = 1:8, class = "srcref"))`, true},
		{"formula_in_list", `list("v", list(y ~ x))`, false},
		{"call_as_class_attribute", `list("v", structure(1, class = "foo", f = quote(system("id"))))`, false},
		{"outer_list_with_class", `structure(list("v", 1), class = "foo")`, true},
		{"outer_list_with_closure_attribute", `structure(list("v", 1), f = function() 1)`, false},
		{"s4_object_with_slot_function", `{setClass("K", representation(f = "function")); list("v", new("K", f = function() 1))}`, false},
		{"expression_vector_in_attribute", `list("v", structure(1, e = expression(system("id"))))`, false},
	}
	names := []struct{ name, expr string }{
		{"name_na", `list(NA_character_, 1)`},
		{"name_two_strings", `list(c("a", "b"), 1)`},
		{"name_number", `list(1, 1)`},
		{"name_empty_vector", `list(character(0), 1)`},
	}
	var script strings.Builder
	for _, c := range names {
		script.WriteString("writeBin(serialize(" + c.expr + ", NULL, version = 3L), \"" + c.name + ".bin\")\n")
	}
	for _, c := range cases {
		script.WriteString("writeBin(serialize(" + c.expr + ", NULL, version = 3L), \"" + c.name + ".bin\")\n")
	}
	testutil.RunR(t, dir, script.String())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, c.name+".bin"))
			require.NoError(t, err)
			_, out, err := streamCheck(b)
			v, derr := rdata.Unserialize(b, rdata.Limits{})
			if derr == nil {
				derr = rdata.CheckData(v)
			}
			if !c.data {
				assert.Error(t, derr, "the decoder refuses it too")
				require.Error(t, err)
				assert.ErrorIs(t, err, rdata.ErrNotData)
				// What was passed on before the refusal may be all of it
				// (a code item can be the last one): the worker learns of
				// the refusal from the verdict byte after the stream.
				return
			}
			require.NoError(t, err)
			assert.NoError(t, derr)
			assert.Equal(t, b, out)
		})
	}
	for _, c := range names {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, c.name+".bin"))
			require.NoError(t, err)
			_, _, err = streamCheck(b)
			assert.Error(t, err, "a name that is not one string")
		})
	}
}
