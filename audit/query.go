package audit

import (
	"fmt"
	"strings"
	"time"
)

// Filter selects records for Query. Empty fields match everything; Since is
// inclusive and Until exclusive.
type Filter struct {
	User     string
	Node     string
	Event    string
	Decision string
	Since    time.Time
	Until    time.Time
	// PolicyVersion, when not 0, selects records of that shared-store
	// policy version.
	PolicyVersion int64
}

// Match reports whether r passes the filter.
func (f *Filter) Match(r *Record) bool {
	switch {
	case f.User != "" && r.User != f.User:
		return false
	case f.Node != "" && r.Node != f.Node:
		return false
	case f.Event != "" && r.Event != f.Event:
		return false
	case f.Decision != "" && r.Decision != f.Decision:
		return false
	case !f.Since.IsZero() && r.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !r.Time.Before(f.Until):
		return false
	case f.PolicyVersion != 0 && r.PolicyVersion != f.PolicyVersion:
		return false
	}
	return true
}

// Query calls fn for every record of files (in chain order) that matches f.
// Lines that are not records are skipped and counted; run Verify to find out
// why. Query does not check hashes.
func Query(files []string, f Filter, fn func(*Record) error) (skipped int, err error) {
	return QueryEvals(files, f, func(r *Record, _ bool) error { return fn(r) })
}

// QueryEvals is Query that also tells fn, for an eval_start record, whether
// its evaluation has no outcome in the trail (interrupted, or still
// running). A Filter.Decision of "interrupted" selects those eval_start
// records and the outcomes recorded as interrupted at shutdown.
func QueryEvals(files []string, f Filter, fn func(r *Record, interrupted bool) error) (skipped int, err error) {
	pending := map[uint64]bool{}
	seqs, err := Interrupted(files)
	if err != nil {
		return 0, err
	}
	for _, s := range seqs {
		pending[s] = true
	}
	err = ReadFiles(files, func(e Entry) error {
		if e.Err != nil {
			skipped++
			return nil
		}
		r := e.Rec
		cut := r.Event == EventEvalStart && pending[r.Seq]
		match := f.Match(r)
		if f.Decision == DecisionInterrupted && cut {
			g := f
			g.Decision = ""
			match = g.Match(r)
		}
		if match {
			return fn(r, cut)
		}
		return nil
	})
	return skipped, err
}

// ParseTime reads a query time: RFC 3339 (with or without fractional
// seconds), a date (2006-01-02, UTC), or a duration such as 1h or 90m meaning
// that long before now.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("time %q: a duration means 'ago' and must not be negative", s)
		}
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2006-01-02T15:04:05Z), a date or a duration like 1h", s)
}
