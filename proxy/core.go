package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/rwarden/rwarden/sandbox"
)

// The evaluation core joins the layers for every protocol front end: it
// knows identities, sessions and evaluations, never wire formats.

// ConnInfo describes where a session comes from, for audit and logs.
type ConnInfo struct {
	Remote   string // client address, or "unix:uid=N" for peer credentials
	Listener string // the listener's configured address
	Protocol string // framed | qap1
}

// Decision of an evaluation, as the audit trail names it.
const (
	DecisionAllowed = audit.DecisionAllowed
	DecisionDenied  = audit.DecisionDenied
	DecisionError   = audit.DecisionError
	DecisionTimeout = audit.DecisionTimeout
	DecisionKilled  = audit.DecisionKilled
	DecisionCrashed = audit.DecisionCrashed
)

// Outcome is the protocol-independent result of one evaluation request.
type Outcome struct {
	Decision   string
	Violations []policy.Violation
	// Syntax is set when the code does not parse (nothing was evaluated).
	Syntax *rsyntax.SyntaxError
	// Result is the worker's result; nil when the code never ran.
	Result *sandbox.Result
	// Refusal is rwarden's own reason when it refused or could not finish
	// the evaluation (no worker, audit log unwritable, session limit ...),
	// written for the client, starting with "Error".
	Refusal string
	Elapsed time.Duration
}

// Session is one authenticated user's session: it holds at most one
// sandboxed worker, acquired at the first evaluation that passes policy,
// and keeps its R state across evaluations until Close.
type Session struct {
	srv     *Server
	id      auth.Identity
	ci      ConnInfo
	sid     string
	limits  Limits
	started time.Time
	release func()

	mu         sync.Mutex
	worker     *sandbox.Session
	lastWorker string // id of the last worker, for records after it died
	evals      int
	closed     bool
}

// ID is the session id used in audit records.
func (s *Session) ID() string { return s.sid }

// Identity is who the session belongs to.
func (s *Session) Identity() auth.Identity { return s.id }

func newSessionID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return "s-" + hex.EncodeToString(b)
}

// errTooManySessions is answered when a user is at their session limit.
var errTooManySessions = errors.New("too many concurrent sessions")

// OpenSession starts a session for an authenticated identity. It enforces
// the per-user session limit and records the session start.
func (srv *Server) OpenSession(ctx context.Context, id auth.Identity, ci ConnInfo) (*Session, error) {
	limits := srv.cfg.LimitsFor(id.User, srv.policy.Roles(id.User))
	release, ok := srv.sessions.acquire(id.User, limits.Sessions)
	if !ok {
		return nil, fmt.Errorf("%w for %s (limit %d)", errTooManySessions, id.User, limits.Sessions)
	}
	s := &Session{srv: srv, id: id, ci: ci, sid: newSessionID(), limits: limits, started: time.Now(), release: release}
	rec := s.record(audit.EventSessionStart)
	rec.Limits = auditLimits(limits)
	if err := srv.audit.Append(ctx, rec); err != nil {
		release()
		return nil, fmt.Errorf("%w: %v", errAuditUnavailable, err)
	}
	srv.metrics.sessionsOpen.Inc()
	return s, nil
}

// errAuditUnavailable: fail closed when the trail cannot be written.
var errAuditUnavailable = errors.New("the audit log cannot be written")

// record starts an audit record carrying the session's identity.
func (s *Session) record(event string) *audit.Record {
	return &audit.Record{
		Event:      event,
		Session:    s.sid,
		User:       s.id.User,
		AuthMethod: string(s.id.Method),
		Remote:     s.ci.Remote,
		Listener:   s.ci.Listener,
		Protocol:   s.ci.Protocol,
	}
}

// EvalOptions are per-request options of Evaluate.
type EvalOptions struct {
	// WantValue asks the worker for the serialized last value.
	WantValue bool
	// Quiet: visible values are not printed (Rserve's eval), where R's
	// console prints them.
	Quiet bool
	// Stream receives console output while the code runs (may be nil).
	Stream func([]byte)
}

// Evaluate checks code against the user's policy and, if allowed, runs it in
// the session's worker. Every outcome, denied ones above all, is recorded in
// the audit trail before Evaluate returns; if that record cannot be written
// the outcome is withheld and replaced by a refusal (fail closed).
func (s *Session) Evaluate(ctx context.Context, code []byte, opts EvalOptions) *Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Now()
	out := s.evaluate(ctx, code, opts)
	out.Elapsed = time.Since(t0)

	rec := s.record(audit.EventEval)
	rec.SetCode(code, s.srv.cfg.Audit.Code)
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
	at := time.Now()
	err := s.srv.audit.Write(ctx, rec)
	s.srv.metrics.auditLatency.Observe(time.Since(at).Seconds())
	if err != nil {
		s.srv.log.Error("AUDIT WRITE FAILED: withholding the evaluation's answer", "session", s.sid, "user", s.id.User, "err", err)
		s.srv.metrics.auditFailures.Inc()
		return &Outcome{Decision: DecisionError, Elapsed: out.Elapsed,
			Refusal: "Error: evaluation refused: the audit log cannot be written; rwarden refuses to run or answer code it cannot record. Try again later.\n"}
	}
	s.srv.metrics.observeEval(out)
	return out
}

func (s *Session) evaluate(ctx context.Context, code []byte, opts EvalOptions) *Outcome {
	if s.closed {
		return &Outcome{Decision: DecisionError, Refusal: "Error: session closed\n"}
	}
	s.evals++
	// Layer 3: the static policy. Denied code never reaches a worker.
	pt := time.Now()
	dec, err := s.srv.policy.Check(s.id.User, code)
	s.srv.metrics.policyLatency.Observe(time.Since(pt).Seconds())
	var syn *rsyntax.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &Outcome{Decision: DecisionError, Syntax: syn}
	case err != nil:
		s.srv.log.Error("policy check failed", "session", s.sid, "user", s.id.User, "err", err)
		return &Outcome{Decision: DecisionError, Refusal: "Error: the policy check failed; the code was not run\n"}
	case !dec.Allowed:
		return &Outcome{Decision: DecisionDenied, Violations: dec.Violations}
	}
	// Fail closed before running anything: the outcome must be recordable.
	if err := s.srv.audit.Healthy(); err != nil {
		return &Outcome{Decision: DecisionError, Refusal: "Error: evaluation refused: the audit log cannot be written; rwarden refuses to run code it cannot record. Try again later.\n"}
	}
	if err := s.ensureWorker(ctx); err != nil {
		return &Outcome{Decision: DecisionError, Refusal: "Error: " + err.Error() + "\n"}
	}
	res, err := s.worker.Eval(ctx, string(code), sandbox.EvalOptions{WantValue: opts.WantValue, Quiet: opts.Quiet}, opts.Stream)
	if err != nil {
		s.dropWorker()
		if ctx.Err() != nil {
			return &Outcome{Decision: DecisionError, Refusal: "Error: evaluation canceled (" + ctx.Err().Error() + ")\n"}
		}
		return &Outcome{Decision: DecisionCrashed, Refusal: "Error: the R worker is gone: " + err.Error() + "\n"}
	}
	if res.Status.WorkerGone() {
		s.dropWorker()
	}
	return &Outcome{Decision: decisionOf(res.Status), Result: res}
}

// acquire takes a worker bound to the user's runtime allowlist and limits.
func (s *Session) acquire(ctx context.Context) (*sandbox.Session, error) {
	allow, err := s.srv.runtimeAllowlist(s.id.User)
	if err != nil {
		return nil, fmt.Errorf("resolving the runtime allowlist: %w", err)
	}
	actx, cancel := context.WithTimeout(ctx, s.srv.cfg.Pool.AcquireTimeout.Std())
	defer cancel()
	t0 := time.Now()
	w, err := s.srv.pool.Acquire(actx, sandbox.Binding{User: s.id.User, Limits: sandboxLimits(s.limits), Allowlist: allow})
	s.srv.metrics.poolWait.Observe(time.Since(t0).Seconds())
	if err != nil {
		s.srv.log.Warn("no R worker for session", "session", s.sid, "user", s.id.User, "err", err)
		return nil, fmt.Errorf("no R worker available: %w", err)
	}
	s.lastWorker = w.WorkerID()
	return w, nil
}

func (s *Session) dropWorker() {
	if s.worker != nil {
		s.worker.Close()
		s.worker = nil
	}
}

// Close ends the session: the worker is destroyed (never reused) and the
// session end is recorded.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.dropWorker()
	s.release()
	rec := s.record(audit.EventSessionEnd)
	rec.Duration = time.Since(s.started)
	rec.Detail = map[string]string{"evaluations": fmt.Sprint(s.evals)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.audit.Append(ctx, rec); err != nil {
		s.srv.log.Error("AUDIT WRITE FAILED: session end not recorded", "session", s.sid, "err", err)
	}
	s.srv.metrics.sessionsOpen.Dec()
}

func decisionOf(st sandbox.Status) string {
	switch st {
	case sandbox.StatusOK:
		return DecisionAllowed
	case sandbox.StatusTimeout:
		return DecisionTimeout
	case sandbox.StatusKilled:
		return DecisionKilled
	case sandbox.StatusCrashed:
		return DecisionCrashed
	}
	return DecisionError
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
	if s.worker == nil {
		w, err := s.acquire(ctx)
		if err != nil {
			return err
		}
		s.worker = w
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
	if err := s.srv.audit.Healthy(); err != nil {
		return fmt.Errorf("%w: %v", errAuditUnavailable, err)
	}
	err := s.ensureWorker(ctx)
	if err == nil {
		err = s.worker.Assign(ctx, name, serialized)
		if err != nil && errors.Is(err, sandbox.ErrSessionClosed) {
			s.dropWorker()
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
	if aerr := s.srv.audit.Write(ctx, rec); aerr != nil {
		s.srv.metrics.auditFailures.Inc()
		return fmt.Errorf("%w: %v", errAuditUnavailable, aerr)
	}
	return err
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
