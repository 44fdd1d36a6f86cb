package core

import (
	"context"
	"fmt"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// rateKey is whose request buckets the session draws from: its user's, or
// for a listener's anonymous user, that user's from this source address
// (anonymous clients from elsewhere keep their own).
func (s *Session) rateKey() string {
	if s.id.Method == auth.MethodAnonymous {
		return "anonymous|" + s.id.User + "|" + auth.AddrKey(s.peer.Remote)
	}
	return "user|" + s.id.User
}

// rateWho names the limited party in a refusal.
func (s *Session) rateWho() string {
	if s.id.Method == auth.MethodAnonymous {
		return fmt.Sprintf("the anonymous user %s from %s", s.id.User, auth.AddrKey(s.peer.Remote))
	}
	return "user " + s.id.User
}

// refuseRate answers an evaluation the request limits refuse. The code
// never reaches the policy check or a worker. Its access_denied record
// (with the code as audit.code says) goes through the flood aggregation: the first
// few of a window in full, the rest counted in one summary.
func (s *Session) refuseRate(ctx context.Context, code []byte, ref *rateRefusal, t0 time.Time) *Outcome {
	msg := s.c.requests.message(ref, s.rateWho())
	s.c.metrics.requestsLimited.WithLabelValues(ref.limit).Inc()
	rec := s.record(audit.EventAccessDenied)
	rec.SetCode(code, s.c.cfg.Audit.Code)
	rec.Error = msg
	rec.Detail = map[string]string{"command": "eval", "limit": ref.limit}
	out := &Outcome{Decision: DecisionError, Refusal: msg}
	if !s.c.flood.admit("eval|"+s.rateKey(), auth.AddrKey(s.peer.Remote), rec) {
		out.Elapsed = time.Since(t0)
		return out
	}
	s.c.log.Info("request refused", "session", s.sid, "user", s.id.User, "remote", s.peer.Remote, "limit", ref.limit)
	if err := s.c.audit.Append(ctx, rec); err != nil {
		s.c.log.Error("AUDIT WRITE FAILED: rate-limited request not recorded", "session", s.sid, "err", err)
		s.c.metrics.auditFailures.Inc()
	}
	out.Elapsed = time.Since(t0)
	return out
}
