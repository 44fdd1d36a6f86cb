package httpapi

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTableBodyAmplification: a table body of up to 32 MiB whose cells
// are one byte each (millions of cells, or millions of header columns)
// is refused before it is parsed, without allocating more than a small
// multiple of the body; a table just within maxCells is still parsed.
func TestTableBodyAmplification(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		parse func([]byte) ([]column, error)
	}{
		{"CSV header of commas", strings.Repeat(",", 32<<20-1), parseCSVTable},
		{"CSV of one-byte rows", "a\n" + strings.Repeat("1\n", 16<<20-2), parseCSVTable},
		{"CSV quoted separators", "a\n\"" + strings.Repeat(",", 4<<20) + "\"\n", parseCSVTable},
		{"JSON column of one-digit numbers", `{"a":[` + strings.Repeat("1,", 16<<20-8) + `1]}`, parseJSONTable},
		{"JSON rows", "[" + strings.Repeat(`{"a":1},`, 4<<20) + `{"a":1}]`, parseJSONTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.body)
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			cols, err := tt.parse(b)
			runtime.ReadMemStats(&m1)
			require.ErrorIs(t, err, errTable)
			assert.Contains(t, err.Error(), "cells")
			assert.Nil(t, cols)
			assert.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(1<<20), "refused before parsing")
		})
	}
	cols, err := parseCSVTable([]byte("a,b\n" + strings.Repeat("1,x\n", maxCells/2-2)))
	require.NoError(t, err)
	assert.Len(t, cols, 2)
	assert.Len(t, cols[0].cells, maxCells/2-2)
	cols, err = parseJSONTable([]byte(`{"a":[` + strings.Repeat("1,", maxCells-1) + `1]}`))
	require.NoError(t, err)
	assert.Len(t, cols[0].cells, maxCells)
}
