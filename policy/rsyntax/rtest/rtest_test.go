package rtest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordsRoundTrip(t *testing.T) {
	in := []string{"", "x <- 1", "multi\nline\x00with nul", strings.Repeat("é", 1000)}
	path := filepath.Join(t.TempDir(), "r.bin")
	require.NoError(t, WriteRecords(path, in))
	out, err := ReadRecords(path)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`"abc"`, "abc", true},
		{`"a\x22b\x5c"`, `a"b\`, true},
		{`"\xc3\xa9"`, "é", true},
		{`abc`, "", false},
		{`"\x4"`, "", false},
		{`"\q00"`, "", false},
	}
	for _, tt := range tests {
		got, err := Unquote(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
}

func TestReadCompare(t *testing.T) {
	out, err := readCompare(strings.NewReader("@ 0\nsame\n@ 1\ndiff\nR: a\nGo: b\n"), 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"", "diff\nR: a\nGo: b\n"}, out)
	_, err = readCompare(strings.NewReader("@ 0\nsame\n"), 2)
	assert.Error(t, err)
}

// TestParseSurvivesRHang runs two inputs after which R 4.2.2 loops forever
// in the same process (found by TestDifferentialRandom): the second parse
// never returns unless Parse restarts R.
func TestParseSurvivesRHang(t *testing.T) {
	if _, err := Rscript(); err != nil {
		t.Skipf("R is not installed: %v", err)
	}
	inputs, err := ReadRecords("testdata/hang.bin")
	require.NoError(t, err)
	require.Len(t, inputs, 2)
	old := stallTimeout
	stallTimeout = 3 * time.Second
	t.Cleanup(func() { stallTimeout = old })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Parse(ctx, inputs)
	require.NoError(t, err)
	require.Len(t, res, 2)
	require.NotNil(t, res[0].Err)
	assert.Contains(t, res[0].Err.Msg, "sequences not supported inside backticks")
	assert.Nil(t, res[1].Err)
	assert.Equal(t, 1, res[1].Exprs)
}
