package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"64KiB", 64 << 10, false},
		{"512MiB", 512 << 20, false},
		{"1GiB", 1 << 30, false},
		{"1gib", 1 << 30, false},
		{"1.5GiB", 0, true},
		{"2G", 0, true},
		{"10MB", 10_000_000, false},
		{" 3 MiB ", 3 << 20, false},
		{"", 0, true},
		{"-1", 0, true},
		{"1.5", 0, true},
		{"lots", 0, true},
		{"9999999TiB", 0, true},
		{"NaNGiB", 0, true},
	} {
		got, err := ParseBytes(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestFormatBytes(t *testing.T) {
	assert.Equal(t, "1GiB", FormatBytes(1<<30))
	assert.Equal(t, "1536MiB", FormatBytes(3<<29))
	for _, n := range []int64{0, 1, 1023, 1 << 10, 3 << 29, 5 << 40} {
		back, err := ParseBytes(FormatBytes(n))
		require.NoError(t, err)
		assert.Equal(t, n, back, "FormatBytes must parse back")
	}
	assert.Equal(t, "100B", FormatBytes(100))
	assert.Equal(t, "0B", FormatBytes(0))
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"1GiB", "1.5MiB", "12", "-3K", "1e400GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseBytes(s)
		if err == nil && n < 0 {
			t.Fatalf("negative size %d from %q", n, s)
		}
	})
}
