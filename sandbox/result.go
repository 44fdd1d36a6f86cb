package sandbox

import (
	"fmt"
	"time"
)

// Status is the outcome of one evaluation.
type Status int

const (
	// StatusOK: the code ran to the end.
	StatusOK Status = iota
	// StatusError: R signalled an error (the code's own, or a runtime
	// "not allowed" of the allowlist).
	StatusError
	// StatusSyntaxError: R could not parse the code.
	StatusSyntaxError
	// StatusTimeout: the wall-clock limit ended the evaluation; the worker
	// was killed.
	StatusTimeout
	// StatusKilled: a resource limit (CPU, scratch disk) ended the
	// evaluation; the worker was killed.
	StatusKilled
	// StatusCrashed: the worker died for another reason (killed from
	// outside, crashed, broke the worker protocol).
	StatusCrashed
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusError:
		return "error"
	case StatusSyntaxError:
		return "syntax_error"
	case StatusTimeout:
		return "timeout"
	case StatusKilled:
		return "killed"
	case StatusCrashed:
		return "crashed"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// WorkerGone reports whether the status leaves the session without a worker.
func (s Status) WorkerGone() bool {
	return s == StatusTimeout || s == StatusKilled || s == StatusCrashed
}

// Result is the structured outcome of one evaluation.
type Result struct {
	Status Status
	// Output is the console stream (printed output, messages and warnings in
	// the order R wrote them), cut at the output limit.
	Output []byte
	// OutputBytes counts all console bytes the evaluation produced,
	// including any cut off.
	OutputBytes int64
	// Truncated is set when Output was cut at the output limit.
	Truncated bool
	Messages  []string
	Warnings  []string
	// Error is the error text as R's console prints it ("Error in f() : ..."),
	// or rwarden's reason for a timeout, kill or crash.
	Error string
	// Value is the last top-level value, serialize(x, NULL, version = 2),
	// when it was asked for and the evaluation succeeded.
	Value []byte
	// Plots are the plots the evaluation drew, when they were asked for
	// (EvalOptions.Plots).
	Plots []Plot
	// Elapsed is the wall time of the evaluation as rwarden measured it.
	Elapsed time.Duration
	// CPU is the CPU time the worker used during the evaluation.
	CPU time.Duration
}

// Plot is one plot an evaluation drew, rendered by R in the worker. A
// format that could not be drawn is empty.
type Plot struct {
	PNG []byte
	SVG []byte
}
