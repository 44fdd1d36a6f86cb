package procstat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCPUAndState(t *testing.T) {
	for _, tc := range []struct {
		name  string
		line  string
		cpu   time.Duration
		err   bool
		state byte
	}{
		{"plain", "42 (R) S 1 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 1 0", 2810 * time.Millisecond, false, 'S'},
		{"name with spaces and parens", "7 (a) R (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, false, 'R'},
		{"zombie", "9 (R) Z 1 9 9 0 -1 0 0 0 0 0 1 1 0 0", 20 * time.Millisecond, false, 'Z'},
		{"no name", "9 R 1 9 9", 0, true, 0},
		{"short", "9 (R) S 1 9", 0, true, 'S'},
		{"not numbers", "9 (R) S 1 9 9 0 -1 0 0 0 0 0 x y", 0, true, 'S'},
		{"ends at the name", "9 (R)", 0, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpu, err := CPU([]byte(tc.line))
			if tc.err {
				assert.ErrorIs(t, err, ErrFormat)
			} else {
				assert.NoError(t, err)
				assert.Equal(t, tc.cpu, cpu)
			}
			assert.Equal(t, tc.state, State([]byte(tc.line)))
		})
	}
}

func FuzzCPU(f *testing.F) {
	f.Add([]byte("42 (R) S 1 42 42 0 -1 4194560 100 0 0 0 250 31 0 0"))
	f.Fuzz(func(_ *testing.T, b []byte) {
		_, _ = CPU(b)
		_ = State(b)
	})
}
