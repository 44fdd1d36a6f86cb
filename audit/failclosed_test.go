package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Root bypasses file permissions, so these tests make the audit file
// unwritable in ways root cannot bypass: the path replaced by a directory,
// and a full tmpfs.

func TestFailClosedWhenPathIsNotWritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)
	require.NoError(t, l.Healthy())

	require.NoError(t, os.Rename(file, file+".away"))
	require.NoError(t, os.Mkdir(file, 0o700))

	for i := 0; i < 2; i++ { // every later Write retries, and fails while broken
		err := l.Write(context.Background(), sample(3))
		require.Error(t, err)
		assert.True(t, errors.Is(err, syscall.EISDIR), "error says why: %v", err)
	}
	assert.Error(t, l.Healthy())
	seq, _ := l.Head()
	assert.Equal(t, uint64(3), seq, "failed writes do not advance the chain")

	// Restore: service resumes without a restart, and Healthy notices even
	// before the next record.
	require.NoError(t, os.Remove(file))
	require.NoError(t, os.Rename(file+".away", file))
	require.NoError(t, l.Healthy())
	r := sample(3)
	require.NoError(t, l.Write(context.Background(), r))
	assert.Equal(t, uint64(4), r.Seq)
	assert.Contains(t, r.Detail["recovered"], "moved, removed or replaced")
	writeN(t, l, 4, 2)
	require.NoError(t, l.Close())
	assert.Equal(t, 6, requireIntact(t, file).Records)
}

func TestFailClosedOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the directory-replacement test covers fail-closed", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })

	file := filepath.Join(mnt, "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)

	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	require.NoError(t, f.Close())

	before, err := os.Stat(file)
	require.NoError(t, err)
	big := sample(1)
	big.SetCode([]byte(strings.Repeat("x <- 1\n", 3000)), CodeFull) // needs new pages
	err = l.Write(context.Background(), big)
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	after, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, before.Size(), after.Size(), "a failed write leaves no partial record behind")
	assert.ErrorIs(t, l.Healthy(), syscall.ENOSPC, "health probe still sees the full disk")
	requireIntact(t, file)

	require.NoError(t, os.Remove(filler))
	require.NoError(t, l.Healthy())
	require.NoError(t, l.Write(context.Background(), big))
	assert.Equal(t, uint64(4), big.Seq)
	require.NoError(t, l.Close())
	assert.Equal(t, 4, requireIntact(t, file).Records)
}

func TestFileMovedAwayContinuesChainInNewFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)
	// An outside rotation (logrotate without copytruncate) moves the file.
	require.NoError(t, os.Rename(file, file+".1"))
	writeN(t, l, 3, 2)
	require.NoError(t, l.Close())
	assert.Equal(t, 5, requireIntact(t, file+".1", file).Records)

	// Had the old file been deleted instead, the new one alone shows it.
	rep, err := Verify([]string{file})
	require.NoError(t, err)
	require.NotNil(t, rep.Break)
	assert.Equal(t, 1, rep.Break.Line)
	assert.Contains(t, rep.Break.Reason, "does not start at seq 1")
}
