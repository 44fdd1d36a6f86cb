package audit

import (
	"context"
	"os"
	"testing"
	"time"

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

// FsyncInterval: each record is in the file when Write returns, and the
// file is made durable within the sync interval.
func TestFsyncInterval(t *testing.T) {
	l := openLog(t, Config{Fsync: FsyncInterval, SyncInterval: 20 * time.Millisecond})
	r := sample(0)
	require.NoError(t, l.Write(context.Background(), r))
	b, err := os.ReadFile(l.cfg.File)
	require.NoError(t, err)
	assert.Contains(t, string(b), r.Hash, "written before Write returned")
	assert.Eventually(t, func() bool { return l.syncs.Load() >= 1 }, 5*time.Second, 5*time.Millisecond,
		"no fdatasync within the interval")
	require.NoError(t, l.Healthy())
	// Now the committer is idle with nothing unsynced; a record written by
	// its caller (nothing queued) must still get its sync.
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, l.Write(context.Background(), sample(1)))
	assert.Eventually(t, func() bool { return l.syncs.Load() >= 2 }, 5*time.Second, 5*time.Millisecond,
		"no fdatasync of a record committed by its writer")
}
