package sandbox

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadCSV: a CSV body reaches the worker in pieces, becomes a data
// frame read by R's fixed reader, and is described back; a body over the
// limit or the scratch quota, a ragged table and duplicate columns are
// refused with a clear error, nothing is assigned, the upload file is
// gone and the session goes on.
func TestLoadCSV(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.ScratchBytes = 8 << 20 })
	s := acquire(t, p, testLimits())
	ctx := context.Background()
	eval(t, s, `keep <- 1`)
	// Longer than one piece: 3 MiB of rows.
	var b strings.Builder
	b.WriteString("id,x,name,ok\n")
	rows := 0
	for b.Len() < 3<<20 {
		rows++
		b.WriteString(strings.Repeat("7", rows%5+1) + ",1.5,\"a, \"\"quoted\"\" name\",TRUE\n")
	}
	big := b.String()
	info, err := s.LoadCSV(ctx, "t", iotest.HalfReader(strings.NewReader(big)), 16<<20)
	require.NoError(t, err)
	assert.Equal(t, rows, info.Rows)
	assert.Equal(t, []ColumnInfo{{"id", "integer"}, {"x", "double"}, {"name", "character"}, {"ok", "logical"}}, info.Columns)
	res := eval(t, s, `cat(nrow(t), t$name[[1]], sum(t$x) == 1.5 * nrow(t), "\n")`)
	assert.Equal(t, strconv.Itoa(rows)+` a, "quoted" name TRUE `+"\n", string(res.Output))

	uploadLeft := `cat(length(list.files(c(getwd(), tempdir()), pattern = "rwarden-upload", all.files = TRUE)), exists("u"), keep, "\n")`
	tests := []struct {
		name  string
		body  io.Reader
		limit int64
		want  error
		text  string
	}{
		{"over the limit", strings.NewReader(big), 1 << 20, ErrTooLarge, ""},
		{"over the scratch quota", strings.NewReader(big + big + big), 64 << 20, ErrFileQuota, ""},
		{"ragged", strings.NewReader("a,b\n1,2\n3\n4,5\n"), 1 << 20, nil, "line"},
		{"duplicate columns", strings.NewReader("a,a\n1,2\n"), 1 << 20, nil, "appears twice"},
		{"empty", strings.NewReader(""), 1 << 20, nil, "size 0"},
		{"body cut short", io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(io.ErrUnexpectedEOF)), 1 << 20, io.ErrUnexpectedEOF, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.LoadCSV(ctx, "u", tt.body, tt.limit)
			require.Error(t, err)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.ErrorContains(t, err, tt.text)
			res := eval(t, s, uploadLeft)
			assert.Equal(t, "0 FALSE 1 \n", string(res.Output), "no upload left, nothing assigned, the session goes on")
		})
	}
}
