package core

import (
	"fmt"
	"strings"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/rwarden/rwarden/sandbox"
)

// Decision of an evaluation, as the audit trail names it.
const (
	DecisionAllowed = audit.DecisionAllowed
	DecisionDenied  = audit.DecisionDenied
	DecisionError   = audit.DecisionError
	DecisionTimeout = audit.DecisionTimeout
	DecisionKilled  = audit.DecisionKilled
	DecisionCrashed = audit.DecisionCrashed
	// DecisionInterrupted: cut before it finished, by rwarden's shutdown or
	// by an HTTP client that left mid-evaluation.
	DecisionInterrupted = audit.DecisionInterrupted
)

// Status of a worker's result (Outcome.Status).
type Status = sandbox.Status

// Worker result statuses.
const (
	StatusOK          = sandbox.StatusOK
	StatusError       = sandbox.StatusError
	StatusSyntaxError = sandbox.StatusSyntaxError
	StatusTimeout     = sandbox.StatusTimeout
	StatusKilled      = sandbox.StatusKilled
	StatusCrashed     = sandbox.StatusCrashed
)

// Result is what a worker returned for code that ran.
type Result = sandbox.Result

// Plot is a plot an evaluation drew, as PNG and SVG.
type Plot = sandbox.Plot

// Violation is one reason the policy denied code.
type Violation = policy.Violation

// SyntaxError is code that does not parse.
type SyntaxError = rsyntax.SyntaxError

// Outcome is the protocol-independent result of one evaluation request.
// Front ends render it themselves.
type Outcome struct {
	Decision   string
	Violations []Violation
	// Syntax is set when the code does not parse (nothing was evaluated).
	Syntax *SyntaxError
	// Result is the worker's result; nil when the code never ran.
	Result *Result
	// Refusal is rwarden's own reason when it refused or could not finish
	// the evaluation (no worker, audit log unwritable, session limit ...),
	// a sentence for the client without the "Error: " of R's messages.
	Refusal string
	Elapsed time.Duration

	// evalID links the outcome's audit record to its eval_start record
	// (empty when the code never reached a worker).
	evalID string
}

// OK reports whether the code ran to its end without an error.
func (o *Outcome) OK() bool { return o.Result != nil && o.Result.Status == sandbox.StatusOK }

// ErrorMessage is the message of an unsuccessful outcome as R's
// geterrmessage() would give it: one or more lines starting with "Error"
// (clients rely on that), ending in a newline. Output the code printed
// before it failed is not part of it (Result.Output).
func (o *Outcome) ErrorMessage() string {
	var b strings.Builder
	switch {
	case o.Refusal != "":
		b.WriteString("Error: " + o.Refusal + "\n")
	case o.Syntax != nil:
		fmt.Fprintf(&b, "Error: syntax error at %s\n", o.Syntax.Error())
	case o.Decision == DecisionDenied:
		b.WriteString("Error: not allowed by policy; the code was not run:\n")
		for _, v := range o.Violations {
			fmt.Fprintf(&b, "  %s\n", v.String())
		}
	case o.Result != nil:
		b.WriteString(o.Result.Error)
		if !strings.HasSuffix(o.Result.Error, "\n") {
			b.WriteByte('\n')
		}
	default:
		b.WriteString("Error: no result\n")
	}
	return b.String()
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

// EventKind says what an output event carries.
type EventKind int

// Output events. The worker's console is one ordered stream: printed
// output, messages and warnings arrive as console text in the order R
// produced them. With EvalOptions.Conditions, each message and warning is
// also an event of its own, when R signals it (after the console text
// written before it; a warning's console text comes when R prints it,
// after its top-level expression).
const (
	EventConsole EventKind = iota
	EventMessage
	EventWarning
)

// Event is output of a running evaluation, delivered as it is produced.
type Event struct {
	Kind EventKind
	// Data is only valid during the callback.
	Data []byte
}
