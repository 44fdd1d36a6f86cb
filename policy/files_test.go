package policy

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name    string
		user    string // "" for a role file
		text    string
		line    int
		errLike string
	}{
		{"ok role", "", "# c\n\np, role:x, base::mean, call, allow\ng, role:x, role:y\n", 0, ""},
		{"ok user", "alice", "g, alice, role:x\n  # indented comment\np, alice, base::mean, call, deny\n", 0, ""},
		{"quoted comma", "", `p, role:x, "base::,", call, allow`, 0, ""},
		{"crlf", "", "p, role:x, base::mean, call, allow\r\n", 0, ""},
		{"too few p fields", "", "\np, role:x, base::mean, call\n", 2, "4 fields"},
		{"too many g fields", "", "g, role:x, role:y, role:z", 1, "2 fields"},
		{"bad act", "", "p, role:x, base::mean, exec, allow", 1, `act "exec"`},
		{"bad effect", "", "p, role:x, base::mean, call, maybe", 1, `effect "maybe"`},
		{"bad ptype", "", "p2, role:x, base::mean, call, allow", 1, `rule type "p2"`},
		{"empty field", "", "p, role:x, , call, allow", 1, "field 3 is empty"},
		{"role file names a user", "", "p, alice, base::mean, call, allow", 1, "a role file may only define roles"},
		{"user file names another user", "alice", "g, alice, role:x\np, bob, base::system, call, allow", 2, `belongs to user "alice"`},
		{"user file grants another user a role", "alice", "g, bob, role:admin", 1, `belongs to user "alice"`},
		{"g target not a role", "alice", "g, alice, bob", 1, "not a role"},
		{"unmarked glob", "", "p, role:x, stats*, call, allow", 1, "glob:"},
		{"bad glob escape", "", `p, role:x, glob:a\b, call, allow`, 1, "backslash"},
		{"load of a function", "", "p, role:x, base::mean, load, allow", 1, "act load needs a package"},
		{"bad csv", "", `p, role:x, "base::mean, call, allow`, 1, "not a CSV line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := parsePolicy("f.csv", tt.user, tt.text)
			if tt.errLike == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, rules)
				return
			}
			require.Error(t, err)
			var le *LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, "f.csv", le.File)
			assert.Equal(t, tt.line, le.Line)
			assert.Contains(t, err.Error(), tt.errLike)
			assert.True(t, strings.HasPrefix(err.Error(), "f.csv:"), err.Error())
		})
	}
}

func TestLoadPolicyDirErrors(t *testing.T) {
	base := map[string]string{"roles/r.csv": "p, role:r, base::mean, call, allow\n"}
	tests := []struct {
		name    string
		files   map[string]string
		file    string
		line    int
		errLike string
	}{
		{"unknown role", map[string]string{"users/alice.csv": "# x\ng, alice, role:nope\n"}, "users/alice.csv", 2, `unknown role "role:nope"`},
		{"role loop", map[string]string{"roles/loop.csv": "g, role:a, role:b\ng, role:b, role:a\n"}, "roles/loop.csv", 0, "loop"},
		{"bad user file name", map[string]string{"users/bad name.csv": "g, bad name, role:r\n"}, "users/bad name.csv", 0, "not a valid user name"},
		{"broken model", map[string]string{modelFile: "[request_definition]\nr = sub, obj\n"}, modelFile, 0, "model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := policyDir(t, base)
			writeFiles(t, dir, tt.files)
			_, err := newEngine(dir, testIndex(t), quietLogger())
			require.Error(t, err)
			var le *LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, filepath.Join(dir, tt.file), le.File)
			if tt.line > 0 {
				assert.Equal(t, tt.line, le.Line)
			}
			assert.Contains(t, err.Error(), tt.errLike)
		})
	}
}

func TestLoadIgnoresNonPolicyFiles(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"roles/r.csv":         "p, role:r, base::mean, call, allow\n",
		"roles/.r.csv.swp":    "garbage",
		"roles/README":        "garbage",
		"users/alice.csv":     "g, alice, role:r\n",
		"users/.#alice.csv":   "garbage",
		"users/alice.csv.bak": "garbage",
	})
	e := newTestEngine(t, dir, testIndex(t))
	assert.Equal(t, []string{"alice"}, e.Users())
}

// FuzzParsePolicy: whatever an operator (or a broken editor) writes into a
// policy file, parsing returns rules or a located error and never panics.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		"p, role:x, base::mean, call, allow\ng, role:x, role:y\n",
		"g, alice, role:analyst\np, alice, glob:stats::*, call, deny\n",
		`p, role:x, "base::,", call, allow`,
		"p, role:x, glob:a\\*b, load, allow",
		"\"\n\"", "p,,,,", "# only a comment",
	} {
		f.Add(s, "")
		f.Add(s, "alice")
	}
	f.Fuzz(func(t *testing.T, text, user string) {
		rules, err := parsePolicy("f.csv", user, text)
		if err != nil {
			var le *LoadError
			require.True(t, errors.As(err, &le), "error %v is not a LoadError", err)
			assert.LessOrEqual(t, le.Line, strings.Count(text, "\n")+1)
			return
		}
		for _, r := range rules {
			require.Contains(t, []string{"p", "g"}, r.ptype)
			if r.ptype == "p" {
				require.NotNil(t, r.pat)
				require.Len(t, r.fields, 4)
			} else {
				require.Len(t, r.fields, 2)
			}
		}
	})
}

// TestLoadWarnings: grants of packages that are not installed and user
// files without rules load, with warnings the proxy can audit.
func TestLoadWarnings(t *testing.T) {
	files := map[string]string{}
	for k, v := range semanticsPolicy {
		files[k] = v
	}
	files["roles/extra.csv"] = "p, role:extra, pkg:notinstalled, load, allow\np, role:extra, glob:notinstalled::*, call, allow\np, role:extra, pkg:jsonlite, load, allow\n"
	files["users/empty.csv"] = "# nothing here\n"
	e := newTestEngine(t, policyDir(t, files), testIndex(t))
	var got []string
	for _, w := range e.Warnings() {
		got = append(got, fmt.Sprintf("%s:%d %s", filepath.Base(w.File), w.Line, w.Msg))
	}
	assert.Contains(t, got, `extra.csv:1 rule "p, role:extra, pkg:notinstalled, load, allow" grants package notinstalled, which is not installed`)
	assert.Contains(t, got, `extra.csv:2 rule "p, role:extra, glob:notinstalled::*, call, allow" grants package notinstalled, which is not installed`)
	assert.Contains(t, got, `empty.csv:0 user file of empty has no rules: empty is denied everything`)
	for _, g := range got {
		assert.NotContains(t, g, "jsonlite", "jsonlite is installed")
	}
	// The shipped policy loads without warnings.
	assert.Empty(t, shippedEngine(t).Warnings())
}

// TestStarWithoutGlobRefused: pkg::* is not a wildcard; it is refused
// with a hint, except base's multiplication operators.
func TestStarWithoutGlobRefused(t *testing.T) {
	for _, obj := range []string{"stats::*", "utils::*", "base::sys*", "data.table::*"} {
		_, err := parsePolicy("roles/x.csv", "", "p, role:x, "+obj+", call, allow\n")
		var le *LoadError
		require.ErrorAs(t, err, &le, obj)
		assert.Equal(t, 1, le.Line)
		assert.Contains(t, le.Error(), "write glob:"+obj)
	}
	for _, obj := range []string{"base::*", "base::%*%"} {
		_, err := parsePolicy("roles/x.csv", "", "p, role:x, "+obj+", call, allow\n")
		assert.NoError(t, err, obj)
	}
}
