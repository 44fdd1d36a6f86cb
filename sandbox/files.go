package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Files in a session's scratch directory, for front ends that move files
// in and out (the HTTP API). Only plain names are accepted: no directory,
// no leading dot, nothing a path could be built from.

// fileNameRE is what a scratch file may be called.
var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ErrFileName is a name that is not a plain file name.
var ErrFileName = errors.New("file names are 1-128 letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'")

// ErrNoFile is a file that does not exist.
var ErrNoFile = errors.New("no such file")

// ErrFileQuota is a file that does not fit in the scratch quota.
var ErrFileQuota = errors.New("the file does not fit in the scratch disk quota")

// ValidFileName reports whether name may name a scratch file.
func ValidFileName(name string) bool { return fileNameRE.MatchString(name) }

// PutFile writes data to the file name in the session's scratch directory,
// replacing it. The scratch quota bounds it.
func (s *Session) PutFile(ctx context.Context, name string, data []byte) error {
	if !ValidFileName(name) {
		return ErrFileName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.w.alive() {
		return ErrSessionClosed
	}
	if int64(len(data)) > s.w.l.cfg.ScratchBytes || len(data) > maxRequestBody-4096 {
		return ErrFileQuota
	}
	path := filepath.Join(s.w.scratch, name)
	if !s.w.l.privileged {
		// Unprivileged workers have no quota-sized tmpfs: count first (the
		// session is locked, nothing else writes there meanwhile). The file
		// it replaces does not count.
		used := s.scratchUsage()
		if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() {
			used -= st.Size()
		}
		if used+int64(len(data)) > s.w.l.cfg.ScratchBytes {
			return ErrFileQuota
		}
	}
	body := make([]byte, 4, 4+len(path)+len(data))
	binary.LittleEndian.PutUint32(body, uint32(len(path)))
	body = append(append(body, path...), data...)
	err := s.w.request(ctx, reqPutFile, body, respDone, s.binding.Limits.Wall)
	if err != nil && s.w.alive() && strings.Contains(err.Error(), "scratch disk quota") {
		return ErrFileQuota // harness.R's put_file: a short write
	}
	if err != nil && (errors.Is(err, errProtocol) || !s.w.alive() || ctx.Err() != nil) {
		s.closeLocked("file transfer failed")
	}
	return err
}

// GetFile reads the file name from the session's scratch directory.
func (s *Session) GetFile(ctx context.Context, name string) ([]byte, error) {
	if !ValidFileName(name) {
		return nil, ErrFileName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.w.alive() {
		return nil, ErrSessionClosed
	}
	limit := min(s.w.l.cfg.ScratchBytes, s.w.l.cfg.MaxResultBytes-4096, 1<<31-1)
	path := filepath.Join(s.w.scratch, name)
	body := binary.LittleEndian.AppendUint32(nil, uint32(limit))
	body = append(body, path...)
	w := s.w
	nonce := newNonce()
	deadline := time.Now().Add(s.binding.Limits.Wall)
	if err := w.send(reqGetFile, 0, nonce, body, deadline); err != nil {
		s.closeLocked("file transfer failed")
		return nil, err
	}
	sink := &consoleSink{limit: 4 << 10}
	typ, payload, err := w.await(ctx, deadline, 0, sink, nil)
	if err == nil && typ != respFile {
		err = fmt.Errorf("%w: expected a file answer, got type %d", errProtocol, typ)
	}
	var n []byte
	var errText string
	var data []byte
	if err == nil {
		n, errText, data, err = decodeFile(payload)
	}
	if err == nil && !bytes.Equal(n, nonce) {
		err = errNonce
	}
	if err != nil {
		s.closeLocked("file transfer failed")
		return nil, err
	}
	switch {
	case errText == "no such file":
		return nil, ErrNoFile
	case errText != "":
		return nil, errors.New(errText)
	}
	return data, nil
}
