package httpapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONArgs(t *testing.T) {
	tests := []struct {
		name, body string
		want       []ocpuArg
		err        string
	}{
		{"scalars", `{"n": 3, "s": "a\"b\\c\nd", "b": true, "z": null}`,
			[]ocpuArg{{"n", "3"}, {"s", `"a\"b\\c\nd"`}, {"b", "TRUE"}, {"z", "NULL"}}, ""},
		{"vector with NA", `{"x": [1, null, 2.5]}`, []ocpuArg{{"x", "c(1,NA,2.5)"}}, ""},
		{"mixed array is a list", `{"x": [1, "a"]}`, []ocpuArg{{"x", `list(1,"a")`}}, ""},
		{"object is a named list", `{"x": {"b": 1, "a": [true]}}`, []ocpuArg{{"x", `list("a" = c(TRUE),"b" = 1)`}}, ""},
		{"control characters escaped", `{"x": "\u0001\u0000"}`, []ocpuArg{{"x", `"\x01\uFFFD"`}}, ""},
		{"not an object", `[1]`, nil, "must be a JSON object"},
		{"bad name", `{"a b": 1}`, nil, "not a syntactic R name"},
		{"duplicate", `{"a": 1, "a": 2}`, nil, "given twice"},
		{"trailing data", `{"a": 1} 2`, nil, "after the JSON object"},
		{"too deep", `{"a": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, nil, "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonArgs([]byte(tt.body), 1<<20)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := jsonArgs([]byte(`{"x": "`+strings.Repeat("a", 100)+`"}`), 50)
	assert.ErrorIs(t, err, errTooLarge)
}

func TestParseForm(t *testing.T) {
	vals, err := parseForm("x={a;+b}&y=%27q%27&&z=")
	require.NoError(t, err)
	assert.Equal(t, "{a; b}", vals.Get("x"))
	assert.Equal(t, "'q'", vals.Get("y"))
	_, err = parseForm("x=%zz")
	assert.Error(t, err)
	_, err = formArgs(vals, 1<<20)
	assert.ErrorContains(t, err, `"z" is empty`)
}

func TestFormValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"c(1, 2)", "c(1, 2)"},
		{"{a; b}", "{a; b}"}, // R braces, not JSON
		{`"text"`, `"text"`},
		{"[1, 2]", "c(1,2)"},
		{`{"a": [true]}`, `list("a" = c(TRUE))`},
		{" true ", "TRUE"},
		{"null", "NULL"},
	}
	for _, tt := range tests {
		got, err := formValue(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestOcpuCall(t *testing.T) {
	got := ocpuCall("stats", "rnorm", []ocpuArg{{"n", "3 # comment"}, {"mean", "1"}})
	assert.Equal(t, "stats::rnorm(n = (\n3 # comment\n),mean = (\n1\n))", got)
}

// FuzzJSONArgs: whatever the body, jsonArgs does not panic, and every
// argument it accepts has a syntactic name and non-empty code.
func FuzzJSONArgs(f *testing.F) {
	for _, s := range []string{`{"n": 3}`, `{"x": [1, null, "a"]}`, `{"x": {"a": [[1]]}}`, `{"a": "\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		args, err := jsonArgs(b, 1<<16)
		if err != nil {
			return
		}
		for _, a := range args {
			if !rName.MatchString(a.name) || a.code == "" || strings.ContainsRune(a.code, '\n') {
				t.Fatalf("bad argument %+v", a)
			}
		}
	})
}

// FuzzFormArgs: whatever the form body, parsing does not panic, and every
// argument accepted has a syntactic name and non-blank code.
func FuzzFormArgs(f *testing.F) {
	for _, s := range []string{"n=3", "x=%5B1%2C2%5D&y={a;b}", "a=true&b=null", "x=%zz", "=1&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := parseForm(body)
		if err != nil {
			return
		}
		args, err := formArgs(vals, 1<<16)
		if err != nil {
			return
		}
		for _, a := range args {
			if !rName.MatchString(a.name) || strings.TrimSpace(a.code) == "" {
				t.Fatalf("bad argument %+v", a)
			}
		}
	})
}
