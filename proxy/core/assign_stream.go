package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	return s.workerRequest(ctx, rec, t0, true, func(w *sandbox.Session) error {
		defer func() { rec.CodeSHA256, rec.CodeBytes = hex.EncodeToString(h.Sum(nil)), passed }()
		return w.AssignStream(ctx, name, n, func(w io.Writer) error {
			return fill(&countingWriter{w: io.MultiWriter(w, h), n: &passed})
		})
	})
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
