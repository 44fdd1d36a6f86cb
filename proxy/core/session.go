package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/egress"
	"github.com/rwarden/rwarden/sandbox"
)

// Session is one authenticated user's session: it holds at most one
// sandboxed worker, acquired at the first evaluation that passes policy,
// and keeps its R state across evaluations until Close.
type Session struct {
	c       *Core
	id      Identity
	peer    Peer
	sid     string
	limits  Limits
	started time.Time
	release func()

	mu         sync.Mutex
	worker     *sandbox.Session
	lastWorker string // id of the last worker, for records after it died
	evals      int
	closed     bool
	// lost says why the session's R state is gone (its worker died or was
	// stopped by a limit); such a session never gets a fresh worker, every
	// later request is refused with ErrStateLost.
	lost string
	// egress are the forwarders of the worker's granted destinations.
	egress []*egress.Forwarder
	// decidedVersion is the policy version that decided the evaluation
	// running (0: none decided it; the trail stamps the one in force).
	decidedVersion int64

	// lastEval is when the last evaluation finished (unix nanoseconds,
	// 0: none yet); ended is why an operator ended the session (admin API).
	// Both are read without mu, which an evaluation holds while it runs.
	lastEval atomic.Int64
	ended    atomic.Pointer[string]
}

// ID is the session id used in audit records.
func (s *Session) ID() string { return s.sid }

// Identity is who the session belongs to.
func (s *Session) Identity() Identity { return s.id }

// Limits are the session's resolved limits.
func (s *Session) Limits() Limits { return s.limits }

// Expires is when the session's wall-clock lifetime ends.
func (s *Session) Expires() time.Time { return s.started.Add(s.limits.SessionWall) }

// IdleTimeout is how long the session waits for its client's next
// request: the user's idle limit, never past the session's lifetime.
func (s *Session) IdleTimeout() time.Duration {
	return max(0, min(s.limits.Idle, time.Until(s.Expires())))
}

func newSessionID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return "s-" + hex.EncodeToString(b)
}

// ErrTooManySessions is answered when a user is at their session limit.
var ErrTooManySessions = errors.New("too many concurrent sessions")

// OpenSession starts a session for an authenticated identity. It enforces
// the per-user session limit and records the session start.
func (c *Core) OpenSession(ctx context.Context, id Identity, peer Peer) (*Session, error) {
	limits := c.LimitsFor(id.User)
	release, ok := c.sessions.acquire(id.User, limits.Sessions)
	if !ok {
		return nil, fmt.Errorf("%w for %s (limit %d)", ErrTooManySessions, id.User, limits.Sessions)
	}
	s := &Session{c: c, id: id, peer: peer, sid: newSessionID(), limits: limits, started: time.Now(), release: release}
	rec := s.record(audit.EventSessionStart)
	rec.Limits = auditLimits(limits)
	if err := c.audit.Append(ctx, rec); err != nil {
		release()
		return nil, fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	c.metrics.sessionsOpen.Inc()
	c.live.Store(s.sid, s)
	return s, nil
}

// ErrAuditUnavailable: fail closed when the trail cannot be written.
var ErrAuditUnavailable = errors.New("the audit log cannot be written")

// record starts an audit record carrying the session's identity.
func (s *Session) record(event string) *audit.Record {
	return newRecord(event, s.peer, &s.id, s.sid)
}

// EvalOptions are per-request options of Evaluate.
type EvalOptions struct {
	// WantValue asks the worker for the serialized last value.
	WantValue bool
	// Quiet: visible values are not printed (Rserve's eval), where R's
	// console prints them.
	Quiet bool
	// Plots captures the evaluation's plots as PNG and SVG (Result.Plots).
	Plots bool
	// Stream receives output events while the code runs, in order, before
	// Evaluate returns (may be nil). The outcome's Result.Output still holds
	// everything kept.
	Stream func(Event)
	// Conditions adds EventMessage and EventWarning events to Stream.
	Conditions bool
	// AuditDetail is added to the evaluation's audit record (e.g. the MCP
	// client that asked for it), values clipped to 256 bytes; it never
	// replaces a key the core set itself.
	AuditDetail map[string]string
}

// Evaluate checks code against the user's policy and, if allowed, runs it in
// the session's worker. Every outcome, denied ones above all, is recorded in
// the audit trail before Evaluate returns; if that record cannot be written
// the outcome is withheld and replaced by a refusal (fail closed).
func (s *Session) Evaluate(ctx context.Context, code []byte, opts EvalOptions) *Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	if ref := s.c.requests.take(s.rateKey()); ref != nil {
		return s.refuseRate(ctx, code, ref, t0)
	}
	out := s.evaluate(ctx, code, opts)
	out.Elapsed = time.Since(t0)
	s.lastEval.Store(time.Now().UnixNano())
	if out.Decision == DecisionDenied || out.Syntax != nil {
		s.c.requests.denied(s.rateKey())
	}

	rec := s.record(audit.EventEval)
	rec.PolicyVersion = s.decidedVersion
	rec.SetCode(code, s.c.cfg.Audit.Code)
	rec.Decision = out.Decision
	rec.Duration = out.Elapsed
	rec.Limits = auditLimits(s.limits)
	for _, v := range out.Violations {
		rec.Violations = append(rec.Violations, audit.Violation{Object: v.Object, Act: v.Act, Line: v.Line, Col: v.Col, Rule: v.Reason})
	}
	switch {
	case out.Result != nil:
		rec.Status = out.Result.Status.String()
		rec.OutputBytes = out.Result.OutputBytes
		rec.Error = clip(out.Result.Error, 4096)
		if s.worker != nil {
			rec.Worker = s.worker.WorkerID()
		} else if out.Result.Status.WorkerGone() {
			rec.Worker = s.lastWorker
		}
		if out.Result.Truncated {
			rec.Detail = map[string]string{"output_truncated": "true"}
		}
	case out.Syntax != nil:
		rec.Status = "syntax_error"
		rec.Error = out.Syntax.Error()
	case out.Refusal != "":
		rec.Status = "refused"
		rec.Error = clip(out.Refusal, 4096)
	case out.Decision == DecisionDenied:
		rec.Status = "denied"
	}
	if out.evalID != "" {
		rec.Detail = withDetail(rec.Detail, audit.DetailEvalID, out.evalID)
	}
	// The outcome is recorded even when ctx was cancelled (shutdown): its
	// eval_start is in the trail and should not stay without an outcome.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeWriteTimeout)
	defer cancel()
	for k, v := range opts.AuditDetail {
		if rec.Detail == nil {
			rec.Detail = map[string]string{}
		}
		if _, core := rec.Detail[k]; !core { // the core's own keys stand
			rec.Detail[k] = clip(v, 256)
		}
	}
	at := time.Now()
	err := s.c.audit.Write(wctx, rec)
	s.c.metrics.auditLatency.Observe(time.Since(at).Seconds())
	if err != nil {
		s.c.log.Error("AUDIT WRITE FAILED: withholding the evaluation's answer", "session", s.sid, "user", s.id.User, "err", err)
		s.c.metrics.auditFailures.Inc()
		return &Outcome{Decision: DecisionError, Elapsed: out.Elapsed,
			Refusal: "evaluation refused: the audit log cannot be written; rwarden refuses to run or answer code it cannot record. Try again later."}
	}
	s.c.metrics.observeEval(out)
	return out
}

func (s *Session) evaluate(ctx context.Context, code []byte, opts EvalOptions) *Outcome {
	if err := s.endedErr(); err != nil {
		return &Outcome{Decision: DecisionError, Refusal: err.Error()}
	}
	if s.closed {
		return &Outcome{Decision: DecisionError, Refusal: "session closed"}
	}
	if err := s.lostErr(); err != nil {
		return &Outcome{Decision: DecisionError, Refusal: err.Error()}
	}
	s.evals++
	s.decidedVersion = 0 // until a check decides
	// Layer 3: the static policy. Denied code never reaches a worker.
	pt := time.Now()
	dec, ver, err := s.c.checkPolicy(s.id.User, code)
	s.decidedVersion = ver
	s.c.metrics.policyLatency.Observe(time.Since(pt).Seconds())
	var syn *SyntaxError
	switch {
	case errors.As(err, &syn):
		return &Outcome{Decision: DecisionError, Syntax: syn}
	case err != nil:
		s.c.log.Error("policy check failed", "session", s.sid, "user", s.id.User, "err", err)
		return &Outcome{Decision: DecisionError, Refusal: "the policy check failed; the code was not run"}
	case !dec.Allowed:
		return &Outcome{Decision: DecisionDenied, Violations: dec.Violations}
	}
	// Fail closed before running anything: the outcome must be recordable.
	if err := s.c.audit.Healthy(); err != nil {
		return &Outcome{Decision: DecisionError, Refusal: "evaluation refused: the audit log cannot be written; rwarden refuses to run code it cannot record. Try again later."}
	}
	if err := s.ensureWorker(ctx); err != nil {
		return &Outcome{Decision: DecisionError, Refusal: err.Error()}
	}
	// Two-phase audit: the code is recorded (durably, per the fsync
	// policy) before the worker sees it, so that an evaluation cut by a
	// kill of rwarden is still in the trail (docs/audit.md).
	evalID := fmt.Sprintf("%s.%d", s.sid, s.evals)
	if err := s.recordStart(ctx, code, evalID); err != nil {
		s.c.log.Error("AUDIT WRITE FAILED: evaluation not started", "session", s.sid, "user", s.id.User, "err", err)
		s.c.metrics.auditFailures.Inc()
		return &Outcome{Decision: DecisionError, Refusal: "evaluation refused: the audit log cannot be written; rwarden refuses to run code it cannot record. Try again later."}
	}
	var stream func([]byte)
	if opts.Stream != nil {
		stream = func(b []byte) { opts.Stream(Event{Kind: EventConsole, Data: b}) }
	}
	sopts := sandbox.EvalOptions{WantValue: opts.WantValue, Quiet: opts.Quiet, Plots: opts.Plots}
	if opts.Stream != nil && opts.Conditions {
		sopts.OnCondition = func(k sandbox.ConditionKind, text []byte) {
			kind := EventMessage
			if k == sandbox.ConditionWarning {
				kind = EventWarning
			}
			opts.Stream(Event{Kind: kind, Data: text})
		}
	}
	res, err := s.worker.Eval(ctx, string(code), sopts, stream)
	if err != nil {
		s.dropWorker()
		if e := s.endedErr(); e != nil {
			s.markLost(*s.ended.Load())
			return &Outcome{Decision: DecisionKilled, evalID: evalID, Refusal: e.Error()}
		}
		if ctx.Err() != nil {
			s.markLost("its evaluation was interrupted (" + ctx.Err().Error() + ")")
			// The context ends on rwarden's shutdown and also when an HTTP
			// client leaves mid-evaluation: the trail must not claim a
			// shutdown that did not happen.
			return &Outcome{Decision: DecisionInterrupted, evalID: evalID,
				Refusal: "evaluation interrupted before it finished (" + ctx.Err().Error() + "): the client left or rwarden is shutting down"}
		}
		s.markLost("its R worker is gone: " + err.Error())
		return &Outcome{Decision: DecisionCrashed, evalID: evalID, Refusal: "the R worker is gone: " + err.Error()}
	}
	if res.Status.WorkerGone() {
		s.endedOutcome(res)
		s.dropWorker()
		s.markLost(fmt.Sprintf("its R worker was stopped (%s)", res.Status))
	}
	return &Outcome{Decision: decisionOf(res.Status), Result: res, evalID: evalID}
}

// acquire takes a worker bound to the user's runtime allowlist and limits.
func (s *Session) acquire(ctx context.Context) (*sandbox.Session, error) {
	b, err := s.c.binding(s.id.User, s.limits)
	if err != nil {
		return nil, fmt.Errorf("resolving the runtime allowlist: %w", err)
	}
	dests := s.c.egressFor(s.id.User)
	b.UnixSockets = len(dests) > 0
	actx, cancel := context.WithTimeout(ctx, s.c.cfg.Pool.AcquireTimeout.Std())
	defer cancel()
	t0 := time.Now()
	w, err := s.c.pool.Acquire(actx, b)
	s.c.metrics.poolWait.Observe(time.Since(t0).Seconds())
	if err != nil {
		waited := time.Since(t0)
		s.c.log.Warn("no R worker for session", "session", s.sid, "user", s.id.User, "waited", waited, "err", err)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			// Say how long was waited and which limit ended the wait.
			return nil, fmt.Errorf("no R worker available: waited %v, the limit pool.acquire_timeout of %v: %w",
				waited.Round(10*time.Millisecond), s.c.cfg.Pool.AcquireTimeout.Std(), err)
		}
		return nil, fmt.Errorf("no R worker available after %v: %w", waited.Round(10*time.Millisecond), err)
	}
	if err := s.startEgress(w, dests); err != nil {
		w.Close()
		return nil, err
	}
	s.lastWorker = w.WorkerID()
	return w, nil
}

func (s *Session) dropWorker() {
	s.stopEgress()
	if s.worker != nil {
		s.c.budget.release(s)
		s.worker.Close()
		s.worker = nil
	}
}

// Close ends the session: the worker is destroyed (never reused) and the
// session end is recorded.
func (s *Session) Close() { s.closeWith("") }

// CloseIdle ends a session whose client sent nothing within IdleTimeout;
// its end record says so, and its worker is free for others at once.
func (s *Session) CloseIdle() {
	reason := fmt.Sprintf("idle: no request within %s", s.limits.Idle)
	if !time.Now().Before(s.Expires()) {
		reason = fmt.Sprintf("session lifetime of %s reached", s.limits.SessionWall)
	}
	s.c.log.Info("session ended", "session", s.sid, "user", s.id.User, "reason", reason)
	s.closeWith(reason)
}

func (s *Session) closeWith(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.c.live.Delete(s.sid)
	s.dropWorker()
	s.release()
	rec := s.record(audit.EventSessionEnd)
	rec.Duration = time.Since(s.started)
	rec.Detail = map[string]string{"evaluations": fmt.Sprint(s.evals)}
	if reason == "" && s.lost != "" {
		reason = "R state lost: " + s.lost
	}
	if reason != "" {
		rec.Detail["reason"] = reason
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.c.audit.Append(ctx, rec); err != nil {
		s.c.log.Error("AUDIT WRITE FAILED: session end not recorded", "session", s.sid, "err", err)
	}
	s.c.metrics.sessionsOpen.Dec()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// sessionCounter enforces the per-user limit of concurrent sessions.
type sessionCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *sessionCounter) acquire(user string, limit int) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	if limit > 0 && c.n[user] >= limit {
		return nil, false
	}
	c.n[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.n[user]--
			if c.n[user] <= 0 {
				delete(c.n, user)
			}
			c.mu.Unlock()
		})
	}, true
}

// ensureWorker acquires the session's worker if it has none.
func (s *Session) ensureWorker(ctx context.Context) error {
	if s.closed {
		return errors.New("session closed")
	}
	if err := s.lostErr(); err != nil {
		return err
	}
	if s.worker == nil {
		if err := s.c.budget.admit(s); err != nil {
			s.c.log.Warn("session refused a worker", "session", s.sid, "user", s.id.User, "err", err)
			return err
		}
		w, err := s.acquire(ctx)
		if err != nil {
			return err
		}
		s.worker = w
		s.c.budget.hold(s, w)
	}
	return nil
}

// Assign binds name to a data value in the session's R environment. The
// caller decoded the client's value, checked that it is plain data (vectors,
// lists, attributes, NULL) and serialized it itself: serialized is never the
// client's raw bytes. The assignment is audited like an evaluation
// (detail op=assign), and refused if that record cannot be written.
func (s *Session) Assign(ctx context.Context, name string, serialized []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	rec := s.record(audit.EventEval)
	rec.SetCode(serialized, audit.CodeHashOnly)
	rec.Detail = map[string]string{"op": "assign", "name": clip(name, 256)}
	rec.Limits = auditLimits(s.limits)
	if err := s.c.audit.Healthy(); err != nil {
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	return s.workerRequest(ctx, rec, t0, true, func(w *sandbox.Session) error {
		return w.Assign(ctx, name, serialized)
	})
}

// SetErrorMessage makes geterrmessage() in the session return msg (Rserve
// clients read it after an error, including a policy denial that never
// reached R). It acquires the session's worker if needed.
func (s *Session) SetErrorMessage(ctx context.Context, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureWorker(ctx); err != nil {
		return err
	}
	return s.worker.SetErrorMessage(ctx, msg)
}
