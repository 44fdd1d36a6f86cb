package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Allowlist is the runtime restriction of a session: user code can reach by
// name only these functions (and the checked `::`, `:::`, library()).
type Allowlist struct {
	// Functions are "pkg::name" entries; for a name listed under several
	// packages the first entry wins (search order).
	Functions []string
	// Packages the user may load with library() or `::`.
	Packages []string
	// Internal lists the packages whose unexported objects `:::` may reach.
	Internal []string
	// Guards lists the parameters of allowed functions that take a function,
	// code, a formula, an environment or serialized data, from the generated
	// parameter model. The harness wraps every listed function, whatever path
	// reaches it, and checks those arguments at run time.
	Guards []Guard

	// The bind request and its hash are made once, at the allowlist's first
	// use: an allowlist must not change after it has been used in a Binding.
	// (A user's allowlist has a thousand entries or more; encoding and
	// hashing it for every session was most of a warm acquire.)
	encodeOnce sync.Once
	body       []byte
	hash       string
	encodeErr  error
}

// Guard kinds (see Guard.Kind).
const (
	GuardFun         = "fun"
	GuardCode        = "code"
	GuardFormula     = "formula"
	GuardEnv         = "env"
	GuardUnserialize = "unserialize"
)

// Guard is one parameter of an allowed function that the harness checks at
// run time (the same struct as policy.Guard; the proxy copies one into the
// other).
type Guard struct {
	Function string // "pkg::name", as in Functions
	Param    string // the formal's name, e.g. "FUN", "handler", "..." (for dots)
	Kind     string // one of "fun", "code", "formula", "env", "unserialize"
}

func validGuardKind(k string) bool {
	switch k {
	case GuardFun, GuardCode, GuardFormula, GuardEnv, GuardUnserialize:
		return true
	}
	return false
}

// encoded returns the allowlist's bind request and its SHA-256 in hex.
func (a *Allowlist) encoded() ([]byte, string, error) {
	a.encodeOnce.Do(func() {
		a.body, a.encodeErr = a.encode()
		if a.encodeErr == nil {
			sum := sha256.Sum256(a.body)
			a.hash = hex.EncodeToString(sum[:])
		}
	})
	return a.body, a.hash, a.encodeErr
}

// Binding is what a session worker is bound to.
type Binding struct {
	// User is recorded for logs; the worker does not need it.
	User string
	// Limits of the session, capped to the pool's ceilings.
	Limits Limits
	// Allowlist restricts user code; nil means unrestricted (the OS sandbox
	// still applies).
	Allowlist *Allowlist
	// UnixSockets gives the worker Unix-domain sockets (no other family)
	// so that it can reach forwarders placed in its scratch directory with
	// Session.ListenUnix. Such a worker starts cold and needs root (a
	// private filesystem view); see egress_linux.go.
	UnixSockets bool
	// Mounts are host directories made visible to the session's worker
	// (data directories, the user's workspace); none by default.
	Mounts []Mount
}

// unrestrictedBind is the bind request of a session without an allowlist.
var unrestrictedBind = []byte("mode\tunrestricted\n")

// encode writes the bind request of an allowlist (see harness.R, bind).
func (a *Allowlist) encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("mode\tallowlist\n")
	for _, f := range a.Functions {
		pkg, name, ok := strings.Cut(f, "::")
		if !ok || pkg == "" || name == "" || strings.ContainsAny(f, "\n\t\x00") {
			return nil, fmt.Errorf("bad allowlist entry %q", f)
		}
		buf.WriteString("F\t" + f + "\n")
	}
	for _, list := range []struct {
		tag  string
		pkgs []string
	}{{"P", a.Packages}, {"I", a.Internal}} {
		for _, p := range list.pkgs {
			if p == "" || strings.ContainsAny(p, "\n\t\x00:") {
				return nil, fmt.Errorf("bad allowlisted package %q", p)
			}
			buf.WriteString(list.tag + "\t" + p + "\n")
		}
	}
	for _, g := range a.Guards {
		pkg, name, ok := strings.Cut(g.Function, "::")
		if !ok || pkg == "" || name == "" || g.Param == "" || !validGuardKind(g.Kind) ||
			strings.ContainsAny(g.Function+g.Param, "\n\t\x00") {
			return nil, fmt.Errorf("bad guard %+v", g)
		}
		buf.WriteString("G\t" + g.Function + "\t" + g.Param + "\t" + g.Kind + "\n")
	}
	return buf.Bytes(), nil
}

// bindTimeout bounds binding a worker to an allowlist (a few milliseconds
// normally; generous for a loaded host).
const bindTimeout = 30 * time.Second

// EvalOptions tune one evaluation.
type EvalOptions struct {
	// WantValue asks for the last value, serialized by R.
	WantValue bool
	// Quiet evaluates without printing visible values, as Rserve's eval
	// does; R's console (the default) prints them.
	Quiet bool
	// Plots captures what the evaluation plots (on a display-list device
	// the harness opens for it) as PNG and SVG (Result.Plots): at most 16
	// per evaluation, one per top-level expression that plotted.
	Plots bool
	// OnCondition, when set, receives each message and warning as R
	// signals it (the text must not be kept), after the console output
	// written before it. Result.Messages and Result.Warnings still list
	// them all; none are delivered once the output limit cut the console,
	// nor once their texts (and 64 bytes each) add up to that limit.
	OnCondition func(kind ConditionKind, text []byte)
}

// ConditionKind tells a message from a warning (EvalOptions.OnCondition).
type ConditionKind uint8

// Condition kinds, as the harness numbers them.
const (
	ConditionMessage ConditionKind = 1
	ConditionWarning ConditionKind = 2
)

// Session is one worker bound to one user. It evaluates one request at a
// time; Close destroys the worker.
type Session struct {
	pool    *Pool
	w       *worker
	binding Binding
	started time.Time
	serial  uint64 // tells sessions apart for Pool.hot
	evals   uint64 // evaluations sent so far (under mu)

	mu     sync.Mutex
	closed bool
}

// ErrSessionClosed is returned by Eval on a closed session or one whose
// worker is gone.
var ErrSessionClosed = errors.New("session closed")

// WorkerID identifies the session's worker in logs and audit records.
func (s *Session) WorkerID() string { return s.w.id }

// Limits returns the limits in force for the session.
func (s *Session) Limits() Limits { return s.binding.Limits }

// bindProfile is a binding prepared for the pool: its profile and the bind
// request body.
type bindProfile struct {
	prof profile
	body []byte
}

func (b Binding) prepare() (bindProfile, error) {
	prof := profileOf(b.Limits)
	prof.Sockets = b.UnixSockets
	if err := ValidateMounts(b.Mounts); err != nil {
		return bindProfile{}, fmt.Errorf("session mounts: %w", err)
	}
	key, err := mountsKey(b.Mounts)
	if err != nil {
		return bindProfile{}, err
	}
	prof.Mounts = key
	if b.Allowlist == nil {
		return bindProfile{prof: prof, body: unrestrictedBind}, nil
	}
	body, hash, err := b.Allowlist.encoded()
	if err != nil {
		return bindProfile{}, err
	}
	prof.Allow = hash
	return bindProfile{prof: prof, body: body}, nil
}

// bind applies an allowlist to a fresh worker (its limits were set at start).
func (w *worker) bind(ctx context.Context, bp bindProfile) error {
	if w.profile != bp.prof {
		return fmt.Errorf("worker started for profile %+v cannot serve %+v", w.profile, bp.prof)
	}
	if err := w.request(ctx, reqBind, bp.body, respBound, bindTimeout); err != nil {
		return fmt.Errorf("binding worker: %w", err)
	}
	w.bound = true
	return nil
}

// Eval evaluates code top level by top level, as R's console would. Output
// goes to stream as it is produced (stream must not keep the slice). R
// errors, syntax errors, timeouts and limit kills are reported in the
// Result; the error return is for a closed session or an ended ctx (the
// worker is then destroyed).
func (s *Session) Eval(ctx context.Context, code string, opts EvalOptions, stream func([]byte)) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSessionClosed
	}
	w := s.w
	if !w.alive() {
		s.closeLocked("worker gone")
		return nil, fmt.Errorf("%w: %s", ErrSessionClosed, w.exitDescription())
	}
	lim := s.binding.Limits
	start := time.Now()
	deadline := start.Add(lim.Wall)
	sessionEnd := s.started.Add(lim.SessionWall)
	if sessionEnd.Before(deadline) {
		deadline = sessionEnd
	}
	if !start.Before(deadline) {
		s.closeLocked("session wall limit")
		return &Result{Status: StatusKilled, Error: "Error: session time limit reached\n"}, nil
	}

	// The evaluation's CPU allowance is watched by rwarden (the periodic
	// check below); the session's is also the worker's RLIMIT_CPU, set at
	// start, which the kernel enforces on its own.
	cpuBefore, err := w.cpu.read()
	if err != nil {
		s.closeLocked("worker gone")
		return nil, fmt.Errorf("%w: %v", ErrSessionClosed, err)
	}
	if cpuBefore >= lim.SessionCPU {
		s.closeLocked("session CPU limit")
		return &Result{Status: StatusKilled, Error: "Error: session CPU time limit reached\n"}, nil
	}

	var flags uint32
	if opts.WantValue {
		flags |= flagWantValue
	}
	if opts.Quiet {
		flags |= flagQuiet
	}
	if opts.Plots {
		flags |= flagPlots
	}
	if opts.OnCondition != nil {
		flags |= flagEvents
	}
	hot := s.pool.hot.admit(s.serial, start)
	if hot {
		flags |= flagPoll
	}
	spin := answerSpin(hot, s.evals, s.pool.cfg.BusyPoll) // how long to poll for the answer before sleeping
	s.evals++
	nonce := newNonce()
	sink := &consoleSink{limit: lim.Output, stream: stream, nonce: nonce, onCondition: opts.OnCondition}
	res := &Result{}
	if err := w.send(reqEval, flags, nonce, []byte(code), deadline); err != nil {
		return s.finishDead(res, sink, start, cpuBefore, err)
	}
	checkScratch := !w.l.privileged // as root the private tmpfs enforces the quota
	lastScratch := time.Now()
	periodic := func() error {
		if cpu, err := w.cpu.read(); err == nil && cpu-cpuBefore > lim.CPU {
			return errCPU
		}
		if time.Since(lastScratch) >= time.Second {
			lastScratch = time.Now()
			if checkScratch {
				if err := s.checkScratch(); err != nil {
					return err
				}
			}
			return s.checkMountQuotas()
		}
		return nil
	}
	typ, payload, err := w.await(ctx, deadline, spin, sink, periodic)
	if err == nil && checkScratch {
		err = s.checkScratch()
	}
	if err == nil {
		err = s.checkMountQuotas()
	}
	if err != nil {
		return s.finishDead(res, sink, start, cpuBefore, err)
	}
	if typ != respResult {
		return s.finishDead(res, sink, start, cpuBefore, fmt.Errorf("%w: unexpected response type %d", errProtocol, typ))
	}
	hr, err := decodeResult(payload, opts.Plots)
	if err == nil && !bytes.Equal(hr.Nonce, nonce) {
		err = errNonce
	}
	if err != nil {
		return s.finishDead(res, sink, start, cpuBefore, err)
	}
	fillOutput(res, sink, start)
	if cpu, err := w.cpu.read(); err == nil {
		res.CPU = cpu - cpuBefore
	}
	res.Messages, res.Warnings, res.Error, res.Plots = hr.Messages, hr.Warnings, hr.Error, hr.Plots
	switch hr.Status {
	case hsOK:
		res.Status = StatusOK
		if opts.WantValue && hr.HasValue {
			res.Value = hr.Value
		}
	case hsSyntax:
		res.Status = StatusSyntaxError
	default:
		res.Status = StatusError
	}
	return res, nil
}

func fillOutput(res *Result, sink *consoleSink, start time.Time) {
	res.Output, res.OutputBytes, res.Truncated = sink.buf, sink.total, sink.truncated
	res.Elapsed = time.Since(start)
}

// errCPU ends an evaluation that used more CPU time than allowed.
var errCPU = errors.New("CPU time limit exceeded")

// errScratchQuota ends an evaluation whose scratch directory outgrew its
// quota (unprivileged mode; as root the tmpfs size enforces it).
var errScratchQuota = errors.New("scratch disk quota exceeded")

func (s *Session) checkScratch() error {
	if s.scratchUsage() > s.w.l.cfg.ScratchBytes {
		return errScratchQuota
	}
	return nil
}

// scratchUsage is the bytes of the regular files in the scratch directory.
func (s *Session) scratchUsage() int64 {
	var total int64
	_ = filepath.WalkDir(s.w.scratch, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return nil
	})
	return total
}

// finishDead turns an evaluation that did not end with a result into one:
// the worker is killed (if it still runs) and the cause decides the status.
func (s *Session) finishDead(res *Result, sink *consoleSink, start time.Time, cpuBefore time.Duration, cause error) (*Result, error) {
	w := s.w
	switch {
	case errors.Is(cause, errDeadline):
		w.kill("timeout")
	case errors.Is(cause, errScratchQuota):
		w.kill("scratch quota")
	case errors.Is(cause, errMountQuota):
		w.kill("mount quota")
	case errors.Is(cause, errCPU):
		w.kill("cpu")
	case errors.Is(cause, context.Canceled), errors.Is(cause, context.DeadlineExceeded):
		w.kill("canceled")
	case errors.Is(cause, errProtocol):
		w.kill("protocol violation")
	default:
		w.kill("worker failure")
	}
	sig := w.exitSignal()
	fillOutput(res, sink, start)
	s.closeLocked("evaluation ended the worker")
	lim := s.binding.Limits
	switch reason := w.reason(); {
	case reason == "timeout":
		res.Status = StatusTimeout
		res.Error = fmt.Sprintf("Error: evaluation exceeded the wall-clock limit of %v and was stopped\n", lim.Wall)
	case reason == "scratch quota":
		res.Status = StatusKilled
		res.Error = fmt.Sprintf("Error: evaluation exceeded the scratch disk quota of %d bytes and was stopped\n", w.l.cfg.ScratchBytes)
	case reason == "mount quota":
		res.Status = StatusKilled
		res.Error = fmt.Sprintf("Error: evaluation stopped: %v; remove files to write again\n", cause)
	case reason == "canceled":
		return nil, cause
	case reason == "cpu":
		res.Status = StatusKilled
		res.Error = fmt.Sprintf("Error: evaluation exceeded the CPU time limit of %v and was stopped\n", lim.CPU)
	case sig == syscall.SIGXCPU || (sig == syscall.SIGKILL && reason == "worker failure" && s.cpuExhausted()):
		res.Status = StatusKilled
		res.Error = fmt.Sprintf("Error: session exceeded its CPU time limit of %v and was stopped\n", lim.SessionCPU)
	case reason == "protocol violation":
		res.Status = StatusCrashed
		res.Error = "Error: the R worker broke the worker protocol and was stopped\n"
	default:
		res.Status = StatusCrashed
		res.Error = "Error: the R worker died unexpectedly (" + w.exitDescription() + ")\n"
	}
	return res, nil
}

// cpuExhausted tells whether a SIGKILL came from the kernel's hard CPU
// limit: the worker had used up its session allowance.
func (s *Session) cpuExhausted() bool {
	st := s.w.exitState
	if st == nil {
		return false
	}
	return st.UserTime()+st.SystemTime() >= s.binding.Limits.SessionCPU
}

// Close ends the session and destroys its worker. Safe to call twice.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked("session closed")
}

func (s *Session) closeLocked(reason string) {
	if s.closed {
		return
	}
	s.closed = true
	s.pool.retire(s.w, reason)
}

// request sends a request whose answer is a nonce and an error text (bind,
// assign, set-error) and waits for it.
func (w *worker) request(ctx context.Context, typ uint32, body []byte, want uint32, timeout time.Duration) error {
	return w.requestParts(ctx, typ, 0, [][]byte{body}, want, timeout)
}

// requestParts is request with a body in parts, written one after the
// other (an assignment's name and its serialization, never joined).
func (w *worker) requestParts(ctx context.Context, typ, flags uint32, parts [][]byte, want uint32, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	nonce := newNonce()
	if err := w.sendParts(typ, flags, nonce, parts, deadline); err != nil {
		return err
	}
	return w.awaitAnswer(ctx, deadline, want, nonce)
}

// awaitAnswer waits for the answer of type want to the request sent with
// nonce: a nonce and an error text ("" when it succeeded).
func (w *worker) awaitAnswer(ctx context.Context, deadline time.Time, want uint32, nonce []byte) error {
	sink := &consoleSink{limit: 4 << 10}
	got, payload, err := w.await(ctx, deadline, 0, sink, nil)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: expected answer type %d, got %d", errProtocol, want, got)
	}
	n, errText, err := decodeBound(payload)
	if err != nil {
		return err
	}
	if !bytes.Equal(n, nonce) {
		return errNonce
	}
	if errText != "" {
		return errors.New(errText)
	}
	return nil
}

// Assign binds name to a value in the session's environment. serialized is
// an R serialization (version 2 or 3) that the caller built itself from a
// value it checked to be plain data; the worker checks again and refuses
// functions, environments, language objects and pointers.
func (s *Session) Assign(ctx context.Context, name string, serialized []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.w.alive() {
		return ErrSessionClosed
	}
	if name == "" || len(name) > 10000 {
		return fmt.Errorf("bad variable name")
	}
	head := make([]byte, 4, 4+len(name))
	binary.LittleEndian.PutUint32(head, uint32(len(name)))
	head = append(head, name...)
	err := s.w.requestParts(ctx, reqAssign, 0, [][]byte{head, serialized}, respDone, s.binding.Limits.Wall)
	if err != nil && (errors.Is(err, errProtocol) || !s.w.alive() || ctx.Err() != nil) {
		s.closeLocked("assign failed")
	}
	return err
}

// SetErrorMessage makes geterrmessage() in the session return msg: R's
// console (and Rserve) leave the last error there, and clients read it after
// a failed evaluation, including one that policy refused before R saw it.
func (s *Session) SetErrorMessage(ctx context.Context, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.w.alive() {
		return ErrSessionClosed
	}
	return s.w.request(ctx, reqSetErr, []byte(msg), respDone, 10*time.Second)
}
