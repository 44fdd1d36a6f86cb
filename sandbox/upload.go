package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Tables uploaded as CSV reach the worker as a file, never as a value in
// rwarden's memory: the body is written into the session's scratch
// directory in pieces of uploadChunk bytes as it arrives (bounded by the
// caller's limit and the scratch quota), then read there by a fixed reader
// (harness.R's load_csv: data.table::fread, else utils::read.csv), checked
// to be data and assigned. The file is removed in every case.

const (
	reqLoadCSV uint32 = 7
	// flagAppend appends a put-file request's bytes to the file; for a
	// load request it means: only remove the upload.
	flagAppend uint32 = 32
	// uploadChunk is what rwarden holds of an upload at a time.
	uploadChunk = 1 << 20
	// uploadFile is the upload's name in scratch: a leading dot, so no
	// file API name (ValidFileName) can address it.
	uploadFile = ".rwarden-upload.csv"
)

// ErrTooLarge is an upload over the caller's limit.
var ErrTooLarge = errors.New("upload too large")

// TableInfo describes a table loaded into a session.
type TableInfo struct {
	Rows    int
	Columns []ColumnInfo
}

// ColumnInfo is one column's name and R type (typeof()).
type ColumnInfo struct {
	Name, Type string
}

// LoadCSV reads a CSV table of at most limit bytes from body into the
// session's scratch and binds it to name as a data frame. Over the limit
// it returns ErrTooLarge, over the scratch quota ErrFileQuota, a table R
// cannot read an error saying why; in each case nothing is assigned and
// the session goes on. Read errors of body are returned as they are.
func (s *Session) LoadCSV(ctx context.Context, name string, body io.Reader, limit int64) (TableInfo, error) {
	if name == "" || len(name) > 10000 {
		return TableInfo{}, fmt.Errorf("bad variable name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.w.alive() {
		return TableInfo{}, ErrSessionClosed
	}
	path := filepath.Join(s.w.scratch, uploadFile)
	info, err := s.upload(ctx, path, body, limit)
	if err == nil {
		info, err = s.loadCSV(ctx, path, name, 0)
	} else if s.w.alive() && !s.closed {
		_, _ = s.loadCSV(ctx, path, name, flagAppend) // remove what arrived
	}
	return info, err
}

// upload writes body to path in pieces.
func (s *Session) upload(ctx context.Context, path string, body io.Reader, limit int64) (TableInfo, error) {
	quota := s.w.l.cfg.ScratchBytes
	used := int64(0)
	if !s.w.l.privileged {
		// No quota-sized tmpfs: count what is there (the session is
		// locked; nothing else writes meanwhile).
		used = s.scratchUsage()
	}
	buf := make([]byte, 4+len(path)+uploadChunk)
	binary.LittleEndian.PutUint32(buf, uint32(len(path)))
	copy(buf[4:], path)
	data := buf[4+len(path):]
	var total int64
	for first := true; ; first = false {
		n, rerr := fill(body, data)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return TableInfo{}, rerr // the client's body was cut: not a table
		}
		total += int64(n)
		if total > limit {
			return TableInfo{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		if used+total > quota {
			return TableInfo{}, ErrFileQuota
		}
		if n > 0 || first {
			flags := flagAppend
			if first {
				flags = 0
			}
			if err := s.w.requestParts(ctx, reqPutFile, flags, [][]byte{buf[:4+len(path)+n]}, respDone, s.binding.Limits.Wall); err != nil {
				if s.w.alive() && strings.Contains(err.Error(), "scratch disk quota") {
					return TableInfo{}, ErrFileQuota
				}
				if errors.Is(err, errProtocol) || !s.w.alive() || ctx.Err() != nil {
					s.closeLocked("file transfer failed")
				}
				return TableInfo{}, err
			}
		}
		if rerr != nil {
			return TableInfo{}, nil
		}
	}
}

// fill reads into b until it is full or body ends (io.EOF, the only
// orderly end: io.ReadFull's io.ErrUnexpectedEOF would hide a body cut
// short, which net/http reports the same way).
func fill(body io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := body.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// loadCSV asks the worker to read the upload at path into name (or, with
// flagAppend, only to remove it).
func (s *Session) loadCSV(ctx context.Context, path, name string, flags uint32) (TableInfo, error) {
	body := binary.LittleEndian.AppendUint32(nil, uint32(len(path)))
	body = append(append(body, path...), name...)
	w := s.w
	nonce := newNonce()
	deadline := time.Now().Add(s.binding.Limits.Wall)
	if err := w.send(reqLoadCSV, flags, nonce, body, deadline); err != nil {
		s.closeLocked("upload failed")
		return TableInfo{}, err
	}
	sink := &consoleSink{limit: 4 << 10}
	typ, payload, err := w.await(ctx, deadline, 0, sink, nil)
	if err == nil && typ != respFile {
		err = fmt.Errorf("%w: expected a table answer, got type %d", errProtocol, typ)
	}
	var n []byte
	var errText string
	var desc []byte
	if err == nil {
		n, errText, desc, err = decodeFile(payload)
	}
	if err == nil && !bytes.Equal(n, nonce) {
		err = errNonce
	}
	if err != nil {
		s.closeLocked("upload failed")
		return TableInfo{}, err
	}
	if errText != "" {
		return TableInfo{}, errors.New(errText)
	}
	if flags&flagAppend != 0 {
		return TableInfo{}, nil
	}
	return decodeTableInfo(desc)
}

// decodeTableInfo parses load_csv's answer: rows, columns, then each
// column's name and type. The worker is untrusted: every length is
// checked.
func decodeTableInfo(p []byte) (TableInfo, error) {
	r := &payloadReader{b: p}
	rows, cols := r.i32(), r.i32()
	if r.err == nil && (rows < 0 || cols < 0 || cols > 10000) {
		r.err = fmt.Errorf("%w: a table of %d rows and %d columns", errProtocol, rows, cols)
	}
	info := TableInfo{Rows: int(rows)}
	for i := int32(0); r.err == nil && i < cols; i++ {
		info.Columns = append(info.Columns, ColumnInfo{Name: r.str(), Type: r.str()})
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes in table answer", errProtocol, len(r.b))
	}
	return info, r.err
}
