package audit

import (
	"fmt"
	"os"
	"time"
)

// openInitial opens the live file at startup and adopts the chain head from
// it, or from the newest rotated file when the live file is empty (a crash
// between a rotation's rename and the first record of the new file).
func (l *Log) openInitial() error {
	s := &l.file
	f, st, err := openFile(s.path)
	if err != nil {
		return err
	}
	tail, err := readTail(f, st.Size)
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("recovering the chain from %s: %w (move the file aside to start a new chain)", s.path, err)
	}
	size := st.Size
	if tail.last != nil {
		l.seq, l.head = tail.last.Seq, tail.last.Hash
	} else if err := l.adoptRotated(); err != nil {
		_ = f.Close()
		return err
	}
	if len(tail.torn) > 0 {
		if err := f.Truncate(tail.lastEnd); err != nil {
			_ = f.Close()
			return fmt.Errorf("removing the torn last line of %s: %w", s.path, err)
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return fmt.Errorf("syncing %s: %w", s.path, err)
		}
		note := tornNote(tail.torn, tail.lastEnd, l.seq)
		l.logger.Error("audit file ended with a torn record (rwarden stopped mid-write); it was removed and the chain continues",
			"detail", note)
		l.note(note)
		size = tail.lastEnd
	}
	s.f, s.dev, s.ino, s.size = f, uint64(st.Dev), st.Ino, size
	s.born = bornTime(tail, size)
	return nil
}

// adoptRotated takes the chain head from the newest rotated file, if any.
func (l *Log) adoptRotated() error {
	rotated, err := RotatedFiles(l.file.path)
	if err != nil || len(rotated) == 0 {
		return nil //nolint:nilerr // no readable rotated files: a new chain
	}
	name := rotated[len(rotated)-1]
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("reading rotated audit file %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat of rotated audit file %s: %w", name, err)
	}
	tail, err := readTail(f, fi.Size())
	if err != nil {
		return fmt.Errorf("recovering the chain from rotated file %s: %w", name, err)
	}
	if tail.last != nil {
		l.seq, l.head = tail.last.Seq, tail.last.Hash
		l.logger.Info("live audit file is empty; continuing the chain of the newest rotated file",
			"rotated", name, "seq", l.seq)
	}
	if len(tail.torn) > 0 {
		l.note(fmt.Sprintf("rotated file %s ends with %d torn bytes", name, len(tail.torn)))
	}
	return nil
}

// ensureOpen makes sure the committer holds the file that the configured
// path names, reopening it after a failure or when the path was moved,
// removed or replaced. The chain always continues from the in-memory head:
// it is the truth of what was committed.
func (l *Log) ensureOpen() error {
	s := &l.file
	if s.f != nil {
		same, err := s.sameInode()
		if err != nil {
			s.closeQuietly()
			return err
		}
		if same {
			return nil
		}
		l.logger.Warn("audit file was moved, removed or replaced outside rwarden; continuing the chain in the file now at the path",
			"seq", l.seq)
		l.note("the audit file was moved, removed or replaced outside rwarden; the chain continues here")
		s.closeQuietly()
		s.dirty = false
		s.dev, s.ino = 0, 0
	}
	return l.reopen()
}

func (l *Log) reopen() error {
	s := &l.file
	f, st, err := openFile(s.path)
	if err != nil {
		return err
	}
	same := s.ino != 0 && uint64(st.Dev) == s.dev && st.Ino == s.ino
	size := st.Size
	if same && s.dirty && size > s.size {
		// A failed write left bytes past the last committed record that
		// could not be cut at the time; cut them now.
		if err := f.Truncate(s.size); err != nil {
			_ = f.Close()
			return fmt.Errorf("cutting audit file %s back to its last good record: %w", s.path, err)
		}
		size = s.size
	}
	tail, err := readTail(f, size)
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("checking audit file %s before writing: %w", s.path, err)
	}
	if len(tail.torn) > 0 {
		if err := f.Truncate(tail.lastEnd); err != nil {
			_ = f.Close()
			return fmt.Errorf("removing the torn last line of %s: %w", s.path, err)
		}
		note := tornNote(tail.torn, tail.lastEnd, l.seq)
		l.logger.Error("audit file ended with a torn record; it was removed", "detail", note)
		l.note(note)
		size = tail.lastEnd
	}
	if tail.last != nil && (tail.last.Seq != l.seq || tail.last.Hash != l.head) {
		l.logger.Error("the last record of the audit file is not the chain head; it was changed outside rwarden; verify will show where",
			"file_seq", tail.last.Seq, "chain_seq", l.seq)
		l.note(fmt.Sprintf("file ended at seq %d, not at the chain head seq %d", tail.last.Seq, l.seq))
	}
	s.f, s.dev, s.ino, s.size, s.dirty = f, uint64(st.Dev), st.Ino, size, false
	s.born = bornTime(tail, size)
	return nil
}

// bornTime is the age reference of a file for time-based rotation: its first
// record's time, or now when that record cannot be read (zero when empty: the
// first commit sets it).
func bornTime(tail tailInfo, size int64) time.Time {
	switch {
	case tail.first != nil:
		return tail.first.Time
	case size > 0:
		return time.Now()
	}
	return time.Time{}
}
