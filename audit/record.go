package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event types. Every record has exactly one.
const (
	EventAuth         = "auth"          // Status: StatusSuccess, StatusFailure or StatusRateLimited
	EventEvalStart    = "eval_start"    // code about to reach a worker; Status StatusStarted, Detail[DetailEvalID]
	EventEval         = "eval"          // Decision: one of the Decision constants
	EventSessionStart = "session_start" //
	EventSessionEnd   = "session_end"   //
	EventPolicyReload = "policy_reload" // Status: StatusOK or StatusRejected
	EventServerStart  = "server_start"  //
	EventServerStop   = "server_stop"   //
	EventAccessDenied = "access_denied" // a protocol command refused by the front end
	EventAdmin        = "admin"         // an admin API request; Status: StatusSuccess or StatusFailure, Detail["action"]
	EventTokensReload = "tokens_reload" // the API tokens file changed; Status: StatusOK or StatusRejected
	// EventEgress: a forwarded network connection of a session; Status one
	// of the Egress constants, Detail destination, address, conn, and for
	// a close sent and received (bytes).
	EventEgress = "egress"
)

// Statuses of egress events.
const (
	EgressConnect = "connect" // rwarden connected to the destination for the worker
	EgressClose   = "close"   // the connection ended; Detail sent and received are final
	EgressRefused = "refused" // not forwarded; Error says why
)

// Decisions of an evaluation.
const (
	DecisionAllowed = "allowed" // passed policy and finished
	DecisionDenied  = "denied"  // refused by policy; never reached a worker
	DecisionError   = "error"   // R signalled an error (or the evaluation failed otherwise)
	DecisionTimeout = "timeout" // wall-clock limit reached, worker killed
	DecisionKilled  = "killed"  // killed by another limit (memory, CPU, output)
	DecisionCrashed = "crashed" // the worker died on its own
	// DecisionInterrupted: the evaluation was cut by rwarden's shutdown.
	// An eval_start with no outcome at all (rwarden was killed) is shown
	// as interrupted too (Verify, Query).
	DecisionInterrupted = "interrupted"
)

// Statuses for auth and policy_reload events.
const (
	StatusSuccess     = "success"
	StatusFailure     = "failure"
	StatusRateLimited = "rate_limited"
	StatusOK          = "ok"
	StatusRejected    = "rejected"
	StatusStarted     = "started" // eval_start
)

// DetailEvalID is the detail key linking an eval_start record to the eval
// record of its outcome (same value in both).
const DetailEvalID = "eval_id"

// Code modes (Config.CodeMode, Record.SetCode).
const (
	CodeFull      = "full"
	CodeHashOnly  = "hash_only"
	codeTruncated = "truncated:"
)

// ZeroHash is the prev_hash of the first record of a brand-new chain.
var ZeroHash = strings.Repeat("0", 64)

var knownEvents = map[string]bool{
	EventAuth: true, EventEvalStart: true, EventEval: true, EventSessionStart: true, EventSessionEnd: true,
	EventPolicyReload: true, EventServerStart: true, EventServerStop: true, EventAccessDenied: true,
	EventEgress:       true,
	EventTokensReload: true,
	EventAdmin:        true,
}

var knownDecisions = map[string]bool{
	DecisionAllowed: true, DecisionDenied: true, DecisionError: true,
	DecisionTimeout: true, DecisionKilled: true, DecisionCrashed: true, DecisionInterrupted: true,
}

// Record is one audit event. The field order here is the canonical field
// order (see canonical.go and docs/audit.md); empty fields are omitted except
// time, seq, event, prev_hash and hash.
type Record struct {
	Time        time.Time     `json:"time"`
	Seq         uint64        `json:"seq"`
	Event       string        `json:"event"`
	Node        string        `json:"node,omitempty"` // the rwarden node that wrote it (cluster.node); each node has its own chain
	Session     string        `json:"session,omitempty"`
	User        string        `json:"user,omitempty"`
	AuthMethod  string        `json:"auth_method,omitempty"`
	Remote      string        `json:"remote,omitempty"`
	Listener    string        `json:"listener,omitempty"`
	Protocol    string        `json:"protocol,omitempty"`
	CodeSHA256  string        `json:"code_sha256,omitempty"`
	CodeBytes   int64         `json:"code_bytes,omitempty"` // length of the submitted code; more than len(Code) when truncated or hash_only
	Code        string        `json:"code,omitempty"`
	Decision    string        `json:"decision,omitempty"`
	Violations  []Violation   `json:"violations,omitempty"`
	Limits      *Limits       `json:"limits,omitempty"`
	Status      string        `json:"status,omitempty"`
	Duration    time.Duration `json:"duration_ns,omitempty"`
	OutputBytes int64         `json:"output_bytes,omitempty"`
	Error       string        `json:"error,omitempty"`
	Worker      string        `json:"worker,omitempty"`
	// PolicyVersion is the shared store's policy version in force when
	// the record was made (for an evaluation: the one that decided it);
	// 0, and omitted, without a store.
	PolicyVersion int64             `json:"policy_version,omitempty"`
	Detail        map[string]string `json:"detail,omitempty"`
	PrevHash      string            `json:"prev_hash"`
	Hash          string            `json:"hash"`
}

// Violation is one policy denial: which object, which act, where in the
// code, and the rule that decided (or "no rule matched").
type Violation struct {
	Object string `json:"object"`
	Act    string `json:"act"`
	Line   int    `json:"line,omitempty"`
	Col    int    `json:"col,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// Limits are the resource limits applied to an evaluation.
type Limits struct {
	Wall   time.Duration `json:"wall_ns,omitempty"`
	CPU    time.Duration `json:"cpu_ns,omitempty"`
	Memory int64         `json:"memory_bytes,omitempty"`
	Output int64         `json:"output_bytes,omitempty"`
}

func (l *Limits) empty() bool {
	return l == nil || (l.Wall == 0 && l.CPU == 0 && l.Memory == 0 && l.Output == 0)
}

// SetCode records the submitted code: code_sha256 and code_bytes always, and
// the text according to mode: "full" (or ""), "truncated:N" (at most N bytes,
// cut on a UTF-8 boundary) or "hash_only". An unknown mode is treated as
// hash_only, the mode that discloses least.
func (r *Record) SetCode(code []byte, mode string) {
	sum := sha256.Sum256(code)
	r.CodeSHA256 = hex.EncodeToString(sum[:])
	r.CodeBytes = int64(len(code))
	r.Code = codeText(code, mode)
}

// codeText returns the part of code that mode lets into the record.
func codeText(code []byte, mode string) string {
	n, err := parseCodeMode(mode)
	if err != nil || n == 0 {
		return ""
	}
	if n < 0 || len(code) <= n {
		return string(code)
	}
	cut := n
	// Back off to the start of a rune so that a multi-byte character is not
	// split (it would be stored as U+FFFD). Invalid bytes are cut anywhere.
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(code[cut]) {
		cut--
	}
	return string(code[:cut])
}

// parseCodeMode returns how many bytes of code a mode keeps: -1 for all,
// 0 for none (hash_only), N for truncated:N.
func parseCodeMode(mode string) (int, error) {
	switch {
	case mode == "" || mode == CodeFull:
		return -1, nil
	case mode == CodeHashOnly:
		return 0, nil
	case strings.HasPrefix(mode, codeTruncated):
		n, err := strconv.Atoi(mode[len(codeTruncated):])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("code mode %q: want truncated:N with N >= 0", mode)
		}
		return n, nil
	}
	return 0, fmt.Errorf("code mode %q: want full, truncated:N or hash_only", mode)
}

// ValidateCodeMode reports whether mode is a valid Config.CodeMode.
func ValidateCodeMode(mode string) error {
	_, err := parseCodeMode(mode)
	return err
}

// applyCodeMode enforces the log's code mode on a record whatever the caller
// did: a record that carries code text gets its hash and length filled in if
// missing, and its text cut to what the mode allows.
func applyCodeMode(r *Record, mode string) {
	if r.Code == "" {
		return
	}
	if r.CodeSHA256 == "" {
		r.SetCode([]byte(r.Code), mode)
		return
	}
	r.Code = codeText([]byte(r.Code), mode)
}

// validate checks what the caller is responsible for; the writer fills time,
// seq, prev_hash and hash.
func (r *Record) validate() error {
	if !knownEvents[r.Event] {
		return fmt.Errorf("audit record: unknown event %q", r.Event)
	}
	if r.Decision != "" && !knownDecisions[r.Decision] {
		return fmt.Errorf("audit record: unknown decision %q", r.Decision)
	}
	if r.Event == EventEval && r.Decision == "" {
		return fmt.Errorf("audit record: eval event without a decision")
	}
	if r.Event == EventEvalStart && r.Detail[DetailEvalID] == "" {
		return fmt.Errorf("audit record: eval_start without an %s", DetailEvalID)
	}
	return nil
}
