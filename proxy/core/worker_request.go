package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/sandbox"
)

// workerRequest runs do on the session's worker (started if needed) for a
// request that is not an evaluation (an assignment, an upload, a file),
// then completes and writes rec, its audit record, begun at t0. A worker
// that died under the request is dropped; with lostState the session's R
// state counts as lost (later requests are refused, never run on a fresh
// worker). The error is do's, or ErrAuditUnavailable when the record could
// not be written.
func (s *Session) workerRequest(ctx context.Context, rec *audit.Record, t0 time.Time, lostState bool, do func(*sandbox.Session) error) error {
	err := s.ensureWorker(ctx)
	if err == nil {
		err = do(s.worker)
		if err != nil && errors.Is(err, sandbox.ErrSessionClosed) {
			s.dropWorker()
			if lostState {
				s.markLost("its R worker is gone: " + err.Error())
			}
		}
	}
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
