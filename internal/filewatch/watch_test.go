package filewatch

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir, file string)
		calls  int32 // expected calls after the change settles
	}{
		{name: "write in place", calls: 1, change: func(t *testing.T, _, file string) {
			require.NoError(t, os.WriteFile(file, []byte("new"), 0o600))
		}},
		{name: "many writes are one call", calls: 1, change: func(t *testing.T, _, file string) {
			for range 5 {
				require.NoError(t, os.WriteFile(file, []byte("new"), 0o600))
				time.Sleep(10 * time.Millisecond)
			}
		}},
		{name: "rename over it", calls: 1, change: func(t *testing.T, dir, file string) {
			tmp := filepath.Join(dir, ".tmp")
			require.NoError(t, os.WriteFile(tmp, []byte("new"), 0o600))
			require.NoError(t, os.Rename(tmp, file))
		}},
		{name: "another file in the directory", calls: 0, change: func(t *testing.T, dir, _ string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o600))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "users.txt")
			require.NoError(t, os.WriteFile(file, []byte("old"), 0o600))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls atomic.Int32
			require.NoError(t, Watch(ctx, []string{file, ""}, nil, func() { calls.Add(1) }))
			tt.change(t, dir, file)
			if tt.calls > 0 {
				require.Eventually(t, func() bool { return calls.Load() >= tt.calls }, 5*time.Second, 10*time.Millisecond)
			}
			time.Sleep(3 * Debounce)
			assert.Equal(t, tt.calls, calls.Load())
		})
	}
}

func TestWatchNothing(t *testing.T) {
	require.NoError(t, Watch(context.Background(), []string{""}, nil, func() { t.Error("called") }))
}

func TestWatchMissingDirectory(t *testing.T) {
	err := Watch(context.Background(), []string{"/nonexistent-rwarden-dir/users.txt"}, nil, func() {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/nonexistent-rwarden-dir")
}

// A Secret or ConfigMap volume in Kubernetes: the file is a symlink into
// "..data", itself a symlink to a timestamped directory; an update writes a
// new directory and renames a new "..data" over the old one (the kubelet's
// atomic writer). The file gets no event of its own; the swap is seen.
func TestWatchKubernetesSwap(t *testing.T) {
	dir := t.TempDir()
	writeVersion := func(name, content string) {
		require.NoError(t, os.Mkdir(filepath.Join(dir, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name, "users.txt"), []byte(content), 0o600))
	}
	writeVersion("..2026_12_04_01", "old")
	require.NoError(t, os.Symlink("..2026_12_04_01", filepath.Join(dir, "..data")))
	file := filepath.Join(dir, "users.txt")
	require.NoError(t, os.Symlink("..data/users.txt", file))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	require.NoError(t, Watch(ctx, []string{file}, nil, func() { calls.Add(1) }))
	writeVersion("..2026_12_04_02", "new")
	require.NoError(t, os.Symlink("..2026_12_04_02", filepath.Join(dir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	require.Eventually(t, func() bool { return calls.Load() >= 1 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(3 * Debounce)
	assert.Equal(t, int32(1), calls.Load(), "one reload for the swap")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
}
