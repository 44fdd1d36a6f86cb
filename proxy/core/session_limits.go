package core

import (
	"context"
	"fmt"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// rateKey is whose request buckets the session draws from.
func (s *Session) rateKey() string { return rateKeyOf(s.id, s.peer.Remote) }

// rateWho names the limited party in a refusal.
func (s *Session) rateWho() string { return rateWhoOf(s.id, s.peer.Remote) }

// rateKeyOf is whose request buckets an identity draws from: its user's,
// or for a listener's anonymous user, that user's from this source address
// (anonymous clients from elsewhere keep their own).
func rateKeyOf(id Identity, remote string) string {
	if id.Method == auth.MethodAnonymous {
		return "anonymous|" + id.User + "|" + auth.AddrKey(remote)
	}
	return "user|" + id.User
}

func rateWhoOf(id Identity, remote string) string {
	if id.Method == auth.MethodAnonymous {
		return fmt.Sprintf("the anonymous user %s from %s", id.User, auth.AddrKey(remote))
	}
	return "user " + id.User
}

// requestThrottled refuses a client whose user (an anonymous user: from
// this address) the request limits refuse right now, before it has a
// session: a client that floods by reconnecting (one request per
// connection, as the framed protocol does) then costs one aggregated
// refusal per connection instead of an auth record and a session's start
// and end records each. Only the user's own requests drain the buckets.
func (c *Core) requestThrottled(id Identity, peer Peer) error {
	ref := c.requests.peek(rateKeyOf(id, peer.Remote))
	if ref == nil {
		return nil
	}
	c.metrics.requestsLimited.WithLabelValues(ref.limit).Inc()
	return &AuthError{Message: c.requests.message(ref, rateWhoOf(id, peer.Remote)),
		Reason: "rate limited: request limit of " + ref.limit, RateLimited: true}
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
