package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tailed struct {
	rec *Record
	err error
}

func startTail(t *testing.T, path string, opt TailOptions) (<-chan tailed, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan tailed, 1000)
	done := make(chan error, 1)
	go func() {
		done <- Tail(ctx, path, opt, func(r *Record, err error) error {
			out <- tailed{r, err}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("Tail did not stop when its context ended")
		}
	})
	return out, done
}

func next(t *testing.T, ch <-chan tailed, within time.Duration) tailed {
	t.Helper()
	select {
	case got := <-ch:
		return got
	case <-time.After(within):
		t.Fatalf("no record within %v", within)
		return tailed{}
	}
}

func TestTailWithoutFollow(t *testing.T) {
	file, _ := chainFile(t, 5)
	var seqs []uint64
	err := Tail(context.Background(), file, TailOptions{Lines: 2}, func(r *Record, err error) error {
		require.NoError(t, err)
		seqs = append(seqs, r.Seq)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{4, 5}, seqs)
}

func TestTailFollowsLiveAndAcrossRotation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file, RotateBytes: 2500})
	writeN(t, l, 0, 3)
	ch, _ := startTail(t, file, TailOptions{Lines: 1, Follow: true})
	first := next(t, ch, time.Second)
	require.NoError(t, first.err)
	assert.Equal(t, uint64(3), first.rec.Seq)

	// A denial shows up within a second of being written.
	denial := sample(2)
	require.NoError(t, l.Write(context.Background(), denial))
	got := next(t, ch, time.Second)
	require.NoError(t, got.err)
	assert.Equal(t, denial.Seq, got.rec.Seq)
	assert.Equal(t, DecisionDenied, got.rec.Decision)
	assert.Contains(t, FormatLine(got.rec), "base::system (call) at 1:1")

	// Enough records to rotate several times: every one arrives, in order.
	writeN(t, l, 10, 40)
	rotated, err := RotatedFiles(file)
	require.NoError(t, err)
	require.NotEmpty(t, rotated, "the test must actually rotate")
	for want := denial.Seq + 1; want <= denial.Seq+40; want++ {
		got := next(t, ch, 2*time.Second)
		require.NoError(t, got.err)
		require.Equal(t, want, got.rec.Seq)
	}
}

func TestTailWaitsForCompleteLines(t *testing.T) {
	src, _ := chainFile(t, 3)
	lines := readLines(t, src)
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	writeLines(t, file, lines[:1])
	ch, _ := startTail(t, file, TailOptions{Lines: 10, Follow: true})
	assert.Equal(t, uint64(1), next(t, ch, time.Second).rec.Seq)

	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	half := len(lines[1]) / 2
	_, err = f.WriteString(lines[1][:half])
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // several polls see the half line
	select {
	case got := <-ch:
		t.Fatalf("a half-written line was shown: %+v", got)
	default:
	}
	_, err = f.WriteString(lines[1][half:] + "\n" + lines[2] + "\n")
	require.NoError(t, err)
	for _, want := range []uint64{2, 3} {
		got := next(t, ch, time.Second)
		require.NoError(t, got.err)
		assert.Equal(t, want, got.rec.Seq)
	}
}

func TestTailReportsChainBreaks(t *testing.T) {
	src, _ := chainFile(t, 4)
	lines := readLines(t, src)
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	writeLines(t, file, []string{lines[0], lines[2], "not a record", lines[3]})
	var errs []bool
	err := Tail(context.Background(), file, TailOptions{Lines: 10}, func(r *Record, err error) error {
		errs = append(errs, err != nil)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true, true, false}, errs, "gap and garbage flagged, good records not")
}
