package sandbox

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScratchFiles: files go into a session's scratch directory and out
// again through the worker, by plain names only, within the scratch quota.
func TestScratchFiles(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.ScratchBytes = 2 << 20 })
	s := acquire(t, p, testLimits())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	require.NoError(t, s.PutFile(ctx, "in.txt", []byte("one\ntwo\n")))
	res := eval(t, s, `x <- readLines("in.txt"); writeBin(as.raw(c(0, 255, 10)), "out.bin"); length(x)`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "[1] 2\n", string(res.Output))
	got, err := s.GetFile(ctx, "out.bin")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 255, 10}, got)

	_, err = s.GetFile(ctx, "missing.txt")
	assert.ErrorIs(t, err, ErrNoFile)
	for _, bad := range []string{"", ".Rprofile", "../x", "a/b", "-x", string(bytes.Repeat([]byte("a"), 129))} {
		assert.ErrorIs(t, s.PutFile(ctx, bad, nil), ErrFileName, "%q", bad)
		_, err := s.GetFile(ctx, bad)
		assert.ErrorIs(t, err, ErrFileName, "%q", bad)
	}

	big := make([]byte, 1200<<10)
	assert.ErrorIs(t, s.PutFile(ctx, "too-big.bin", make([]byte, 3<<20)), ErrFileQuota)
	require.NoError(t, s.PutFile(ctx, "a.bin", big))
	assert.ErrorIs(t, s.PutFile(ctx, "b.bin", big), ErrFileQuota, "together over the quota")
	require.NoError(t, s.PutFile(ctx, "a.bin", big), "replacing a file counts once")
	_, err = s.GetFile(ctx, "b.bin")
	assert.ErrorIs(t, err, ErrNoFile, "a refused file is not left behind")

	res = eval(t, s, `file.size("a.bin")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "[1] 1228800\n", string(res.Output))
}
