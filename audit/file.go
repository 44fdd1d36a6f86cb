package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fileSink is the live audit file. It is used only by the committer
// goroutine, so it has no lock.
type fileSink struct {
	path string
	f    *os.File
	dev  uint64
	ino  uint64
	// size is the end of the last committed record: what the file holds that
	// the chain vouches for.
	size int64
	// dirty says a failed write may have left bytes beyond size in the inode
	// (dev, ino) that could not be truncated at the time.
	dirty bool
	// born is the time of the file's first record (for age rotation).
	born time.Time
}

// tailInfo describes the end of an audit file.
type tailInfo struct {
	last    *Record // last complete record, nil if none
	lastEnd int64   // offset just past the last complete line
	torn    []byte  // bytes after the last newline: an interrupted write
	first   *Record // first record, nil if none or unparsable
}

// openFile opens (creating if needed) the live file and returns its identity.
func openFile(path string) (*os.File, *syscall.Stat_t, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening audit file: %w", err)
	}
	st, err := statOf(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		_ = f.Close()
		return nil, nil, fmt.Errorf("audit file %s is not a regular file", path)
	}
	return f, st, nil
}

func statOf(f *os.File) (*syscall.Stat_t, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat of audit file: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New("stat of audit file: no inode information on this platform")
	}
	return st, nil
}

// sameInode reports whether the path still names the file we hold open.
func (s *fileSink) sameInode() (bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(s.path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, fmt.Errorf("stat of audit file %s: %w", s.path, err)
	}
	return uint64(st.Dev) == s.dev && st.Ino == s.ino, nil
}

// append writes buf (whole records) with one write and, unless fsync is
// FsyncNever, makes it durable. On failure it cuts the file back to the last
// committed record so that no partial record breaks the chain, closes the
// file (the next batch reopens it) and returns the error.
func (s *fileSink) append(buf []byte, fsync string) error {
	_, err := s.f.Write(buf)
	if err == nil && fsync != FsyncNever {
		// fdatasync: the data and the new size, without the mtime update.
		err = unix.Fdatasync(int(s.f.Fd()))
		if err != nil {
			err = fmt.Errorf("fdatasync: %w", err)
		}
	}
	if err == nil {
		s.size += int64(len(buf))
		return nil
	}
	if terr := s.f.Truncate(s.size); terr != nil {
		s.dirty = true
		err = fmt.Errorf("%w (and cutting the file back to %d bytes failed: %v)", err, s.size, terr)
	}
	s.closeQuietly()
	return fmt.Errorf("writing audit file %s: %w", s.path, err)
}

func (s *fileSink) closeQuietly() {
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
}

// close makes the file durable and closes it.
func (s *fileSink) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("closing audit file %s: %w", s.path, err)
	}
	return nil
}

// reserve checks that the file system can take more records by reserving
// space past the end of the file without changing its size. File systems
// without fallocate pass.
func (s *fileSink) reserve(n int64) error {
	err := unix.Fallocate(int(s.f.Fd()), unix.FALLOC_FL_KEEP_SIZE, s.size, n)
	if err == nil || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return nil
	}
	return fmt.Errorf("reserving space in audit file %s: %w", s.path, err)
}

// readTail finds the last complete record of the first size bytes of f, the
// torn bytes after it, and the first record.
func readTail(f *os.File, size int64) (tailInfo, error) {
	var t tailInfo
	if size == 0 {
		return t, nil
	}
	nl, err := lastByteBefore(f, size, '\n')
	if err != nil {
		return t, err
	}
	t.lastEnd = nl + 1 // 0 when no newline at all
	if t.lastEnd < size {
		torn := size - t.lastEnd
		if torn > MaxRecordBytes {
			return t, fmt.Errorf("audit file ends with %d bytes without a newline; refusing to guess where the last record is", torn)
		}
		t.torn = make([]byte, torn)
		if _, err := f.ReadAt(t.torn, t.lastEnd); err != nil {
			return t, fmt.Errorf("reading torn tail of audit file: %w", err)
		}
	}
	if t.lastEnd == 0 {
		return t, nil
	}
	prev, err := lastByteBefore(f, t.lastEnd-1, '\n')
	if err != nil {
		return t, err
	}
	line := make([]byte, t.lastEnd-1-(prev+1))
	if _, err := f.ReadAt(line, prev+1); err != nil {
		return t, fmt.Errorf("reading last record of audit file: %w", err)
	}
	rec, err := ParseRecord(line)
	if err == nil {
		err = rec.CheckHash()
	}
	if err != nil {
		return t, fmt.Errorf("last complete record of the audit file (offset %d) is damaged: %w", prev+1, err)
	}
	t.last = rec
	if prev < 0 {
		t.first = rec
	} else if first, err := readFirst(f); err == nil {
		t.first = first
	}
	return t, nil
}

// lastByteBefore returns the offset of the last c in f[0:end], or -1. It
// looks back at most MaxRecordBytes+1 bytes, so a damaged file cannot make it
// scan without limit.
func lastByteBefore(f *os.File, end int64, c byte) (int64, error) {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	limit := end - (MaxRecordBytes + 1)
	for pos := end; pos > 0; {
		n := int64(chunk)
		if pos < n {
			n = pos
		}
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil {
			return 0, fmt.Errorf("reading audit file: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], c); i >= 0 {
			return pos + int64(i), nil
		}
		if pos <= limit {
			return 0, fmt.Errorf("no record boundary in the last %d bytes before offset %d of the audit file", MaxRecordBytes, end)
		}
	}
	return -1, nil
}

// readFirst parses the first line of f.
func readFirst(f *os.File) (*Record, error) {
	line, err := readLineAt(f, 0)
	if err != nil {
		return nil, err
	}
	return ParseRecord(line)
}

func readLineAt(r io.ReaderAt, off int64) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for len(out) <= MaxRecordBytes {
		n, err := r.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return append(out, buf[:i]...), nil
		}
		out = append(out, buf[:n]...)
		off += int64(n)
		if err != nil {
			return nil, fmt.Errorf("reading audit file: no complete line: %w", err)
		}
	}
	return nil, fmt.Errorf("audit file line exceeds %d bytes", MaxRecordBytes)
}

// tornNote describes removed torn bytes for the `recovered` detail.
func tornNote(torn []byte, off int64, after uint64) string {
	sum := sha256.Sum256(torn)
	return fmt.Sprintf("removed %d torn bytes (sha256 %s) at offset %d after seq %d, left by an interrupted write",
		len(torn), hex.EncodeToString(sum[:]), off, after)
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

func dirOf(path string) string { return filepath.Dir(path) }
