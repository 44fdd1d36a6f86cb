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

// Table upload errors a front end tells apart.
var (
	// ErrDataTooLarge is an upload over the user's data limit.
	ErrDataTooLarge = sandbox.ErrTooLarge
)

// TableInfo describes a table loaded into a session: rows, and each
// column's name and R type.
type TableInfo = sandbox.TableInfo

// LoadCSV streams a CSV table from body into the session's scratch
// directory and makes it the data frame name there (sandbox.LoadCSV):
// rwarden holds one piece of it at a time. It is bounded by the user's
// data limit (limits.*.data) and the scratch quota; over either, or a
// table R cannot read, nothing is assigned and the session goes on. It is
// audited like an assignment (detail op=assign, format=csv, the body's
// hash as the code).
func (s *Session) LoadCSV(ctx context.Context, name string, body io.Reader) (TableInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	rec := s.record(audit.EventEval)
	rec.Detail = map[string]string{"op": "assign", "name": clip(name, 256), "format": "csv"}
	rec.Limits = auditLimits(s.limits)
	if err := s.c.audit.Healthy(); err != nil {
		return TableInfo{}, fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	limit := min(s.limits.Data, MaxData)
	h := sha256.New()
	var read int64
	var info TableInfo
	err := s.workerRequest(ctx, rec, t0, true, func(w *sandbox.Session) error {
		defer func() { rec.CodeSHA256, rec.CodeBytes = hex.EncodeToString(h.Sum(nil)), read }()
		var err error
		info, err = w.LoadCSV(ctx, name, io.TeeReader(body, &countingWriter{w: h, n: &read}), limit)
		return err
	})
	if errors.Is(err, ErrAuditUnavailable) {
		return TableInfo{}, err
	}
	return info, err
}
