package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMethodRequestsCachedAcrossChecks checks that the requests of a
// UseMethod generic, cached by the first check, are decided again in
// the next checks of the same checker, at the new positions, and are
// not confused with another generic's.
func TestMethodRequestsCachedAcrossChecks(t *testing.T) {
	e := shippedEngine(t)
	dispatch := func(code string) []Violation {
		t.Helper()
		d, err := e.Check("guest", []byte(code))
		require.NoError(t, err)
		var out []Violation
		for _, v := range d.Violations {
			if strings.Contains(v.Detail, "may dispatch to") {
				out = append(out, v)
			}
		}
		return out
	}
	tests := []struct {
		name, code string
		line       int
	}{
		{"first", "g <- function(x) UseMethod(\"file\")\n", 1},
		{"again, moved", "\n\ng <- function(x) UseMethod(\"file\")\n", 3},
		{"other generic", "g <- function(x) UseMethod(\"mean\")\n", 0},
		{"and back", "\ng <- function(x) UseMethod(\"file\")\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dispatch(tt.code)
			if tt.line == 0 {
				for _, v := range got {
					assert.NotContains(t, v.Detail, "UseMethod(\"file\")")
				}
				return
			}
			require.NotEmpty(t, got, "guest may not call every file.* function")
			for _, v := range got {
				assert.Equal(t, tt.line, v.Line, v.Detail)
				assert.Contains(t, v.Detail, "UseMethod(\"file\") may dispatch to")
			}
		})
	}
}
