package core

import (
	"context"
	"time"

	"github.com/rwarden/rwarden/audit"
)

// outcomeWriteTimeout bounds writing an evaluation's outcome record when
// the request's own context has ended (shutdown): long enough for a slow
// fsync, short enough not to hold the shutdown.
const outcomeWriteTimeout = 10 * time.Second

// recordStart writes the eval_start record of code that passed policy and
// is about to reach the worker: who, the code as the audit code mode
// allows, the limits, and the id its outcome record will carry. It is
// written like an outcome (Write: durable per the fsync policy before it
// returns); an error means the code must not run (fail closed).
func (s *Session) recordStart(ctx context.Context, code []byte, evalID string) error {
	rec := s.record(audit.EventEvalStart)
	rec.SetCode(code, s.c.cfg.Audit.Code)
	rec.Status = audit.StatusStarted
	rec.PolicyVersion = s.decidedVersion
	rec.Limits = auditLimits(s.limits)
	rec.Detail = map[string]string{audit.DetailEvalID: evalID}
	at := time.Now()
	err := s.c.audit.Write(ctx, rec)
	s.c.metrics.auditLatency.Observe(time.Since(at).Seconds())
	return err
}

// withDetail sets key in a record's detail map, making the map if needed.
func withDetail(d map[string]string, key, value string) map[string]string {
	if d == nil {
		d = map[string]string{}
	}
	d[key] = value
	return d
}
