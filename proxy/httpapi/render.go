package httpapi

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/rwarden/rwarden/proxy/core"
)

// evalResult is an evaluation's answer: the same shape for every status,
// so that output printed before an error is never lost.
type evalResult struct {
	Session string `json:"session,omitempty"`
	// Status: ok, error (an R error), syntax_error, denied, timeout,
	// killed, crashed, refused.
	Status    string   `json:"status"`
	Console   string   `json:"console"`
	Truncated bool     `json:"truncated,omitempty"`
	Messages  []string `json:"messages"`
	Warnings  []string `json:"warnings"`
	// Error is R's error text, or rwarden's reason for a denial or refusal.
	Error      string          `json:"error,omitempty"`
	Violations []violation     `json:"violations,omitempty"`
	Value      json.RawMessage `json:"value,omitempty"`
	// ValueError says why a value has no JSON form.
	ValueError string `json:"value_error,omitempty"`
	// Plots are the plots the evaluation drew (see plots.go).
	Plots     []plotRef `json:"plots"`
	ElapsedMS float64   `json:"elapsed_ms"`
}

// result renders an outcome and picks its HTTP status.
func result(o *core.Outcome, wantValue bool) (int, *evalResult) {
	res := &evalResult{Messages: []string{}, Warnings: []string{}, ElapsedMS: float64(o.Elapsed.Microseconds()) / 1000}
	if r := o.Result; r != nil {
		res.Console = strings.ToValidUTF8(string(r.Output), "\uFFFD")
		res.Truncated = r.Truncated
		if r.Messages != nil {
			res.Messages = r.Messages
		}
		if r.Warnings != nil {
			res.Warnings = r.Warnings
		}
	}
	switch {
	case o.Refusal != "":
		res.Status, res.Error = "refused", o.Refusal
		return http.StatusServiceUnavailable, res
	case o.Syntax != nil:
		res.Status, res.Error = "syntax_error", strings.TrimSpace(o.ErrorMessage())
		return http.StatusBadRequest, res
	case o.Decision == core.DecisionDenied:
		res.Status, res.Error = "denied", "not allowed by policy; the code was not run"
		for _, v := range o.Violations {
			rule := v.Reason
			if v.Source.File != "" {
				rule += " (" + filepath.Base(v.Source.File) + ":" + itoa(v.Source.Line) + ")"
			}
			res.Violations = append(res.Violations, violation{Function: v.Object, Act: v.Act,
				Line: v.Line, Col: v.Col, Rule: rule, Hint: v.Detail})
		}
		return http.StatusForbidden, res
	case o.Result == nil:
		res.Status, res.Error = "refused", strings.TrimSpace(o.ErrorMessage())
		return http.StatusServiceUnavailable, res
	}
	r := o.Result
	res.Error = strings.TrimRight(r.Error, "\n")
	switch r.Status {
	case core.StatusOK:
		res.Status = "ok"
		if wantValue && r.Value != nil {
			v, err := valueJSON(r.Value)
			if err != nil {
				res.ValueError = err.Error()
			} else {
				res.Value = v
			}
		}
		return http.StatusOK, res
	case core.StatusError:
		res.Status = "error"
		return http.StatusBadRequest, res
	case core.StatusSyntaxError:
		res.Status = "syntax_error"
		return http.StatusBadRequest, res
	case core.StatusTimeout:
		res.Status = "timeout"
		return http.StatusGatewayTimeout, res
	case core.StatusKilled:
		res.Status = "killed"
		if strings.Contains(r.Error, "quota") {
			return http.StatusRequestEntityTooLarge, res
		}
		return http.StatusGatewayTimeout, res
	}
	res.Status = "crashed"
	return http.StatusInternalServerError, res
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
