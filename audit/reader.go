package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// errLineTooLong marks a line longer than MaxRecordBytes; the reader skips
// the rest of it without buffering it.
var errLineTooLong = fmt.Errorf("line longer than %d bytes", MaxRecordBytes)

// lineReader reads newline-terminated lines with a bounded buffer.
type lineReader struct {
	br  *bufio.Reader
	num int
	buf []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next line without its newline and whether it had one (a
// last line without a newline is torn or cut). It returns io.EOF at the end
// and errLineTooLong (with the line counted and skipped) for an overlong line.
func (lr *lineReader) next() (line []byte, complete bool, err error) {
	lr.buf = lr.buf[:0]
	tooLong := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(chunk) > MaxRecordBytes+1 {
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			lr.num++
			if tooLong {
				return nil, true, errLineTooLong
			}
			return lr.buf[:len(lr.buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(lr.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			lr.num++
			if tooLong {
				return nil, false, errLineTooLong
			}
			return lr.buf, false, nil
		default:
			return nil, false, fmt.Errorf("reading audit file: %w", err)
		}
	}
}

// Entry is one line of an audit file as read: the record, or why the line
// is not one.
type Entry struct {
	File string
	Line int
	Rec  *Record // nil when Err is set
	Err  error
}

// ReadFiles calls fn for every line of files, in chain order (see
// SortByChain). Unreadable lines are passed with Err set; an error from fn
// stops the reading and is returned. I/O errors are returned.
func ReadFiles(files []string, fn func(Entry) error) error {
	ordered, err := SortByChain(files)
	if err != nil {
		return err
	}
	for _, name := range ordered {
		if err := readFile(name, fn); err != nil {
			return err
		}
	}
	return nil
}

func readFile(name string, fn func(Entry) error) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("opening audit file: %w", err)
	}
	defer f.Close()
	lr := newLineReader(f)
	for {
		line, complete, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		e := Entry{File: name, Line: lr.num}
		switch {
		case errors.Is(err, errLineTooLong):
			e.Err = err
		case err != nil:
			return fmt.Errorf("%s: %w", name, err)
		case !complete:
			e.Err = errors.New("truncated: the last line has no newline (an interrupted write or a cut file)")
		default:
			e.Rec, e.Err = ParseRecord(line)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// SortByChain orders audit files by their content: by the sequence number
// of their first readable record, so that rotated files and the live file
// can be given in any order (a shell glob puts the live file first). Files
// with no readable record go last, in their given order. Duplicates are
// removed.
func SortByChain(files []string) ([]string, error) {
	type keyed struct {
		name string
		key  uint64
		ok   bool
	}
	seen := map[string]bool{}
	var ks []keyed
	for _, name := range files {
		if seen[name] {
			continue
		}
		seen[name] = true
		key, ok, err := firstSeq(name)
		if err != nil {
			return nil, err
		}
		ks = append(ks, keyed{name, key, ok})
	}
	sort.SliceStable(ks, func(i, j int) bool {
		if ks[i].ok != ks[j].ok {
			return ks[i].ok
		}
		return ks[i].ok && ks[i].key < ks[j].key
	})
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.name
	}
	return out, nil
}

// firstSeq estimates the seq at which a file starts from its first readable
// record among the first lines (minus the lines before it).
func firstSeq(name string) (uint64, bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, false, fmt.Errorf("opening audit file: %w", err)
	}
	defer f.Close()
	lr := newLineReader(f)
	for i := 0; i < 64; i++ {
		line, _, err := lr.next()
		if errors.Is(err, io.EOF) {
			return 0, false, nil
		}
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				continue
			}
			return 0, false, fmt.Errorf("%s: %w", name, err)
		}
		if r, err := ParseRecord(bytes.Clone(line)); err == nil {
			if r.Seq < uint64(i) {
				return 0, true, nil
			}
			return r.Seq - uint64(i), true, nil
		}
	}
	return 0, false, nil
}
