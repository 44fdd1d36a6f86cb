package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/sandbox"
)

// AssignStream binds name to the value of a client's serialization of
// list(name, value) of n bytes, which fill checks as it reads it and
// writes to the writer it is given; the worker gets it as it arrives, so
// that rwarden never holds the value (see sandbox.Session.AssignStream).
// The record hashes the bytes passed on. When fill fails the worker
// assigns nothing, the session goes on, and the error wraps fill's and
// sandbox.ErrAssignRefused.
func (s *Session) AssignStream(ctx context.Context, name string, n int64, fill func(io.Writer) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	rec := s.record(audit.EventEval)
	rec.Detail = map[string]string{"op": "assign", "name": clip(name, 256)}
	rec.Limits = auditLimits(s.limits)
	if err := s.c.audit.Healthy(); err != nil {
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	h := sha256.New()
	var passed int64
	err := s.ensureWorker(ctx)
	if err == nil {
		err = s.worker.AssignStream(ctx, name, n, func(w io.Writer) error {
			cw := &countingWriter{w: io.MultiWriter(w, h), n: &passed}
			return fill(cw)
		})
		if err != nil && errors.Is(err, sandbox.ErrSessionClosed) {
			s.dropWorker()
			s.markLost("its R worker is gone: " + err.Error())
		}
	}
	rec.CodeSHA256 = hex.EncodeToString(h.Sum(nil))
	rec.CodeBytes = passed
	rec.Duration = time.Since(t0)
	rec.Decision, rec.Status = DecisionAllowed, "ok"
	if err != nil {
		rec.Decision, rec.Status, rec.Error = DecisionError, "error", clip(err.Error(), 4096)
	}
	if s.worker != nil {
		rec.Worker = s.worker.WorkerID()
	}
	if aerr := s.c.audit.Write(ctx, rec); aerr != nil {
		s.c.metrics.auditFailures.Inc()
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, aerr)
	}
	return err
}

// countingWriter counts what it passes on.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	return n, err
}
