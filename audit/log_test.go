package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteAssignsChain(t *testing.T) {
	l := openLog(t, Config{})
	var recs []*Record
	for i := 0; i < 5; i++ {
		r := sample(i)
		require.NoError(t, l.Write(context.Background(), r))
		recs = append(recs, r)
	}
	assert.Equal(t, ZeroHash, recs[0].PrevHash)
	for i, r := range recs {
		assert.Equal(t, uint64(i+1), r.Seq)
		assert.Equal(t, time.UTC, r.Time.Location())
		require.NoError(t, r.CheckHash())
		if i > 0 {
			assert.Equal(t, recs[i-1].Hash, r.PrevHash)
			assert.False(t, r.Time.Before(recs[i-1].Time))
		}
	}
	seq, head := l.Head()
	assert.Equal(t, uint64(5), seq)
	assert.Equal(t, recs[4].Hash, head)

	lines := readLines(t, l.cfg.File)
	require.Len(t, lines, 5)
	for i, line := range lines {
		assert.Equal(t, string(Encode(recs[i])), line, "the caller's record is what was written")
	}
	rep := requireIntact(t, l.cfg.File)
	assert.Equal(t, 5, rep.Records)
	assert.Equal(t, head, rep.LastHash)

	fi, err := os.Stat(l.cfg.File)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the audit file is private")
}

func TestWriteRejectsBadRecords(t *testing.T) {
	l := openLog(t, Config{})
	assert.Error(t, l.Write(context.Background(), nil))
	assert.Error(t, l.Write(context.Background(), &Record{Event: "nope"}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, l.Write(ctx, sample(0)), context.Canceled)
	assert.NoFileExists(t, l.cfg.File+".x")
	assert.Empty(t, readLines(t, l.cfg.File), "nothing written for refused records")

	require.NoError(t, l.Close())
	assert.ErrorIs(t, l.Write(context.Background(), sample(0)), ErrClosed)
	assert.ErrorIs(t, l.Healthy(), ErrClosed)
}

func TestCodeModeEnforcedByLog(t *testing.T) {
	tests := []struct {
		mode     string
		wantCode string
	}{
		{CodeFull, "secret_token <- 'hunter2'"},
		{"truncated:6", "secret"},
		{CodeHashOnly, ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			l := openLog(t, Config{CodeMode: tt.mode})
			// The caller fills Code directly and forgets SetCode: the log
			// still hashes it and applies its mode.
			r := &Record{Event: EventEval, Decision: DecisionAllowed, Code: "secret_token <- 'hunter2'"}
			require.NoError(t, l.Write(context.Background(), r))
			assert.Equal(t, tt.wantCode, r.Code)
			assert.Len(t, r.CodeSHA256, 64)
			assert.Equal(t, int64(25), r.CodeBytes)
			if tt.mode == CodeHashOnly {
				b, err := os.ReadFile(l.cfg.File)
				require.NoError(t, err)
				assert.NotContains(t, string(b), "hunter2")
			}
		})
	}
}

func TestConcurrentWritersKeepOneChain(t *testing.T) {
	for _, fsync := range []string{FsyncInterval, FsyncAlways, FsyncBatch, FsyncNever} {
		t.Run(fsync, func(t *testing.T) {
			l := openLog(t, Config{Fsync: fsync})
			const workers, each = 8, 40
			var mu sync.Mutex
			seqs := map[uint64]string{}
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < each; i++ {
						r := sample(w*each + i)
						if !assert.NoError(t, l.Write(context.Background(), r)) {
							return
						}
						mu.Lock()
						seqs[r.Seq] = r.Hash
						mu.Unlock()
					}
				}(w)
			}
			wg.Wait()
			require.Len(t, seqs, workers*each, "every record got its own seq")
			rep := requireIntact(t, l.cfg.File)
			assert.Equal(t, workers*each, rep.Records)
			// The file is in seq order and every caller's hash is in it.
			for i, line := range readLines(t, l.cfg.File) {
				r, err := ParseRecord([]byte(line))
				require.NoError(t, err)
				assert.Equal(t, uint64(i+1), r.Seq)
				assert.Equal(t, seqs[r.Seq], r.Hash)
			}
		})
	}
}

func TestChainContinuesAcrossRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)
	_, head := l.Head()
	require.NoError(t, l.Close())

	l2 := openLog(t, Config{File: file})
	seq, head2 := l2.Head()
	assert.Equal(t, uint64(3), seq)
	assert.Equal(t, head, head2)
	r := sample(3)
	require.NoError(t, l2.Write(context.Background(), r))
	assert.Equal(t, uint64(4), r.Seq)
	assert.Equal(t, head, r.PrevHash)
	assert.Empty(t, r.Detail["recovered"], "a clean restart is not a recovery")
	require.NoError(t, l2.Close())

	rep := requireIntact(t, file)
	assert.Equal(t, 4, rep.Records)
}

func TestTornLastLineIsRecovered(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)
	require.NoError(t, l.Close())

	// A crash mid-write leaves part of a record without its newline.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	torn := `{"time":"2025-01-01T00:00:00.000000000Z","seq":4,"event":"ev`
	_, err = f.WriteString(torn)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	rep, err := Verify([]string{file})
	require.NoError(t, err)
	require.NotNil(t, rep.Break, "verify reports the torn line before recovery")
	assert.Equal(t, 4, rep.Break.Line)
	assert.Contains(t, rep.Break.Reason, "truncated")

	l2 := openLog(t, Config{File: file})
	r := sample(3)
	require.NoError(t, l2.Write(context.Background(), r))
	assert.Equal(t, uint64(4), r.Seq)
	assert.Contains(t, r.Detail["recovered"], fmt.Sprintf("removed %d torn bytes", len(torn)))
	r2 := sample(4)
	require.NoError(t, l2.Write(context.Background(), r2))
	assert.Empty(t, r2.Detail["recovered"], "the note is written once")
	require.NoError(t, l2.Close())
	assert.Equal(t, 5, requireIntact(t, file).Records)
}

func TestOpenRefusesDamagedTail(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)
	require.NoError(t, l.Close())
	lines := readLines(t, file)
	lines[2] = strings.Replace(lines[2], `"seq":3`, `"seq":9`, 1)
	writeLines(t, file, lines)

	_, err := Open(Config{File: file, Logger: quietLogger()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "damaged")
}

func TestOpenValidatesConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []Config{
		{},
		{File: filepath.Join(dir, "a"), Fsync: "sometimes"},
		{File: filepath.Join(dir, "a"), CodeMode: "truncated:x"},
		{File: filepath.Join(dir, "a"), RotateBytes: -1},
		{File: dir}, // a directory
	}
	for _, cfg := range tests {
		cfg.Logger = quietLogger()
		_, err := Open(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

func TestRotationBySizeKeepsOneChain(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file, RotateBytes: 2048})
	writeN(t, l, 0, 60)
	require.NoError(t, l.Close())

	files := allFiles(t, file)
	require.Greater(t, len(files), 3, "small RotateBytes must rotate several times")
	// Each file's first record names the previous file's last hash.
	for i := 1; i < len(files); i++ {
		prev := readLines(t, files[i-1])
		cur := readLines(t, files[i])
		if len(cur) == 0 {
			continue
		}
		last, err := ParseRecord([]byte(prev[len(prev)-1]))
		require.NoError(t, err)
		first, err := ParseRecord([]byte(cur[0]))
		require.NoError(t, err)
		assert.Equal(t, last.Hash, first.PrevHash, "%s -> %s", files[i-1], files[i])
	}
	// Verified over all files together, in any given order.
	rep := requireIntact(t, files...)
	assert.Equal(t, 60, rep.Records)
	shuffled := append([]string{file}, files[:len(files)-1]...)
	sort.Sort(sort.Reverse(sort.StringSlice(shuffled[1:])))
	assert.Equal(t, 60, requireIntact(t, shuffled...).Records)

	// A restart after rotation continues the chain too.
	l2 := openLog(t, Config{File: file, RotateBytes: 2048})
	writeN(t, l2, 60, 5)
	require.NoError(t, l2.Close())
	assert.Equal(t, 65, requireIntact(t, allFiles(t, file)...).Records)
}

func TestRotationByAge(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file, RotateEvery: 30 * time.Millisecond})
	writeN(t, l, 0, 2)
	time.Sleep(60 * time.Millisecond)
	writeN(t, l, 2, 2)
	require.NoError(t, l.Close())
	files := allFiles(t, file)
	require.Len(t, files, 2)
	assert.Len(t, readLines(t, files[0]), 2)
	assert.Len(t, readLines(t, files[1]), 2)
	assert.Equal(t, 4, requireIntact(t, files...).Records)
}

func TestEmptyLiveFileAdoptsRotatedChain(t *testing.T) {
	// A crash between the rename of a rotation and the first record of the
	// new file leaves an empty (or missing) live file.
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file})
	writeN(t, l, 0, 3)
	require.NoError(t, l.Close())
	rotated := file + "." + time.Now().UTC().Format(rotatedStamp)
	require.NoError(t, os.Rename(file, rotated))

	l2 := openLog(t, Config{File: file})
	seq, _ := l2.Head()
	assert.Equal(t, uint64(3), seq)
	writeN(t, l2, 3, 2)
	require.NoError(t, l2.Close())
	assert.Equal(t, 5, requireIntact(t, rotated, file).Records)
}

func TestRotatedFilesOrder(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "a.jsonl")
	names := []string{
		"a.jsonl.20250102T000000.000000000Z-1",
		"a.jsonl.20250101T000000.000000000Z",
		"a.jsonl.20250102T000000.000000000Z",
		"a.jsonl.notastamp",
		"b.jsonl.20250101T000000.000000000Z",
	}
	for _, n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o600))
	}
	got, err := RotatedFiles(live)
	require.NoError(t, err)
	want := []string{names[1], names[2], names[0]}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	assert.Equal(t, want, got)
}
