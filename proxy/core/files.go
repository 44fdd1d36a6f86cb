package core

import (
	"context"
	"fmt"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/sandbox"
)

// File errors a front end tells apart.
var (
	ErrFileName  = sandbox.ErrFileName
	ErrNoFile    = sandbox.ErrNoFile
	ErrFileQuota = sandbox.ErrFileQuota
)

// ValidFileName reports whether name may name a file in a session's
// scratch directory (a plain name: no directory, no leading dot).
func ValidFileName(name string) bool { return sandbox.ValidFileName(name) }

// PutFile writes data to the file name in the session's scratch directory
// (bounded by the scratch quota). It is audited like an assignment (detail
// op=put_file, the content's hash as the code), and refused if that
// record cannot be written.
func (s *Session) PutFile(ctx context.Context, name string, data []byte) error {
	return s.fileOp(ctx, "put_file", name, data, func(w *sandbox.Session) error {
		return w.PutFile(ctx, name, data)
	})
}

// GetFile reads the file name from the session's scratch directory,
// audited (detail op=get_file).
func (s *Session) GetFile(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := s.fileOp(ctx, "get_file", name, nil, func(w *sandbox.Session) error {
		var err error
		data, err = w.GetFile(ctx, name)
		return err
	})
	return data, err
}

func (s *Session) fileOp(ctx context.Context, op, name string, content []byte, do func(*sandbox.Session) error) error {
	if !sandbox.ValidFileName(name) {
		return ErrFileName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	rec := s.record(audit.EventEval)
	if content != nil {
		rec.SetCode(content, audit.CodeHashOnly)
	}
	rec.Detail = map[string]string{"op": op, "name": name}
	rec.Limits = auditLimits(s.limits)
	if err := s.c.audit.Healthy(); err != nil {
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	return s.workerRequest(ctx, rec, t0, false, do)
}
