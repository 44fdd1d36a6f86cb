package httpapi

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTableBodyAmplification: a JSON table body of up to 32 MiB whose
// cells are one byte each (millions of cells) is refused before it is
// parsed, without allocating more than a small
// multiple of the body; a table just within maxCells is still parsed.
func TestTableBodyAmplification(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		parse func([]byte) ([]column, error)
	}{
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
	cols, err := parseJSONTable([]byte(`{"a":[` + strings.Repeat("1,", maxCells-1) + `1]}`))
	require.NoError(t, err)
	assert.Len(t, cols[0].cells, maxCells)
}
