package audit

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Append writes records to the file at once (a crash of rwarden cannot lose
// them) and they chain with synced records like any other.
func TestAppendChainsWithWrite(t *testing.T) {
	l := openLog(t, Config{Fsync: FsyncAlways})
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		r := sample(i)
		if i%2 == 0 {
			require.NoError(t, l.Append(ctx, r))
		} else {
			require.NoError(t, l.Write(ctx, r))
		}
		assert.Equal(t, uint64(i+1), r.Seq)
		// Written to the file before Append returns, not buffered.
		b, err := os.ReadFile(l.cfg.File)
		require.NoError(t, err)
		assert.Contains(t, string(b), r.Hash)
	}
	require.NoError(t, l.Close())
	rep, err := Verify([]string{l.cfg.File})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Break)
}

func TestAllNoSync(t *testing.T) {
	assert.True(t, allNoSync([]*request{{noSync: true}, {noSync: true}}))
	assert.False(t, allNoSync([]*request{{noSync: true}, {}}))
}
