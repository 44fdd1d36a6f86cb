package httpapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rwarden/rwarden/proxy/rdata"
)

// TestValueJSONBound: the JSON rendering of a value stays within
// maxJSONBytes however few cells carry the bytes (a vector of a few huge
// strings, one string that escaping inflates sixfold, a raw vector whose
// base64 is a third larger, a matrix of one row).
func TestValueJSONBound(t *testing.T) {
	mb := strings.Repeat("a", 1<<20)
	few := make([]string, 40)
	for i := range few {
		few[i] = mb
	}
	wide := rdata.Strings(few...)
	wide.Attr = []rdata.Attr{{Name: "dim", Value: rdata.Ints(1, 40)}}
	tests := []struct {
		name string
		v    *rdata.Value
	}{
		{"40 strings of 1 MiB", rdata.Strings(few...)},
		{"one string of control characters", rdata.Strings(strings.Repeat("\x01", 6<<20))},
		{"raw vector", &rdata.Value{Type: rdata.RAWSXP, Raw: make([]byte, 30<<20)}},
		{"matrix of one row", wide},
		{"list of big vectors", rdata.List(rdata.Strings(few[:20]...), rdata.Strings(few[:20]...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := toJSON(tt.v)
			assert.ErrorIs(t, err, errNotJSON)
			assert.Nil(t, j)
		})
	}
	// Just under the bound still renders.
	j, err := toJSON(rdata.Strings(few[:30]...))
	assert.NoError(t, err)
	assert.Greater(t, len(j), 30<<20)
}
