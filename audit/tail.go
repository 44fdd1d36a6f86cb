package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// TailOptions tune Tail.
type TailOptions struct {
	Lines  int           // how many existing records to show first (0 = none)
	Follow bool          // keep reading as records are appended, across rotation
	Poll   time.Duration // how often to look for new data; 0 = 100ms
}

// Tail shows the last records of the audit file at path and, with Follow,
// every record appended afterwards until ctx ends. It follows rotation: when
// the path names a new file, it finishes the old one and continues in the
// new one from its start. fn receives each record, or an error for a line
// that is not a record or does not continue the chain; an error returned by
// fn stops Tail.
//
// Polling (not inotify) keeps it simple and robust across rotation and
// across file systems; at the default 100ms a record shows well within a
// second.
func Tail(ctx context.Context, path string, opt TailOptions, fn func(*Record, error) error) error {
	if opt.Poll <= 0 {
		opt.Poll = 100 * time.Millisecond
	}
	t := &tailer{path: path, fn: fn}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	t.f = f
	defer func() { _ = t.f.Close() }()
	if err := t.start(opt.Lines); err != nil {
		return err
	}
	if err := t.drain(); err != nil {
		return err
	}
	if !opt.Follow {
		return nil
	}
	tick := time.NewTicker(opt.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := t.drain(); err != nil {
			return err
		}
		if err := t.checkRotation(); err != nil {
			return err
		}
	}
}

type tailer struct {
	path    string
	f       *os.File
	off     int64  // next byte to read
	partial []byte // an incomplete last line, awaiting the rest
	prev    *Record
	fn      func(*Record, error) error
}

// start positions the reader so that the last n complete lines are shown.
func (t *tailer) start(n int) error {
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	end := fi.Size()
	if end > 0 {
		// Only complete lines count; an in-progress last line is read later.
		nl, err := lastByteBefore(t.f, end, '\n')
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		end = nl + 1
	}
	t.off = end
	for i := 0; i < n && t.off > 0; i++ {
		nl, err := lastByteBefore(t.f, t.off-1, '\n')
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		t.off = nl + 1
	}
	return nil
}

// drain reads everything from off to the current end of the open file.
func (t *tailer) drain() error {
	buf := make([]byte, 64<<10)
	for {
		n, err := t.f.ReadAt(buf, t.off)
		if n > 0 {
			t.off += int64(n)
			if ferr := t.feed(buf[:n]); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tail: reading %s: %w", t.path, err)
		}
	}
}

// feed splits data into lines and hands complete ones on.
func (t *tailer) feed(data []byte) error {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(t.partial)+len(data) > MaxRecordBytes {
				t.partial = t.partial[:0]
				return t.fn(nil, errLineTooLong)
			}
			t.partial = append(t.partial, data...)
			return nil
		}
		line := data[:i]
		if len(t.partial) > 0 {
			line = append(t.partial, line...)
		}
		data = data[i+1:]
		err := t.emit(line)
		t.partial = t.partial[:0]
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tailer) emit(line []byte) error {
	r, err := ParseRecord(line)
	if err != nil {
		return t.fn(nil, err)
	}
	if err := r.CheckHash(); err != nil {
		return t.fn(r, err)
	}
	var chainErr error
	if t.prev != nil && (r.Seq != t.prev.Seq+1 || r.PrevHash != t.prev.Hash) {
		chainErr = fmt.Errorf("chain break: seq %d does not follow seq %d", r.Seq, t.prev.Seq)
	}
	t.prev = r
	return t.fn(r, chainErr)
}

// checkRotation switches to the file now at path when it is not the one
// being read. Several rotations may have happened since the last poll, so it
// walks the rotated files that follow the one being read, in order, before
// the live file, and no record is skipped.
func (t *tailer) checkRotation() error {
	for {
		st, err := os.Stat(t.path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // between rename and create; look again next tick
			}
			return fmt.Errorf("tail: %w", err)
		}
		cur, err := t.f.Stat()
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		if os.SameFile(st, cur) {
			if cur.Size() < t.off {
				// Truncated in place: start again from the beginning.
				t.off, t.partial = 0, t.partial[:0]
				return t.fn(nil, errors.New("file was truncated; reading it again from the start"))
			}
			return nil
		}
		// Finish the current file (a record may have landed after our read).
		if err := t.drain(); err != nil {
			return err
		}
		nf, err := os.Open(t.successor(cur))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.EISDIR) {
				return nil
			}
			return fmt.Errorf("tail: %w", err)
		}
		_ = t.f.Close()
		t.f, t.off, t.partial = nf, 0, t.partial[:0]
		if err := t.drain(); err != nil {
			return err
		}
	}
}

// successor names the file that follows cur in the chain: the next rotated
// file if cur is a rotated file with a successor, else the live file.
func (t *tailer) successor(cur os.FileInfo) string {
	rotated, err := RotatedFiles(t.path)
	if err != nil {
		return t.path
	}
	for i, name := range rotated {
		if fi, err := os.Stat(name); err == nil && os.SameFile(fi, cur) {
			if i+1 < len(rotated) {
				return rotated[i+1]
			}
			break
		}
	}
	return t.path
}
