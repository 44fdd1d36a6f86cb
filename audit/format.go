package audit

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Record fields come from clients (user names, code, remote addresses), so
// everything shown on a terminal goes through sanitize: control characters,
// bidirectional overrides and invalid UTF-8 are escaped so that a record
// cannot forge extra lines or rewrite the operator's screen.

const displayTime = "2006-01-02T15:04:05.000Z"

// summaryMax bounds the summary column, in runes.
const summaryMax = 160

// sanitize escapes what a terminal would interpret and cuts s to max runes
// (0 = no limit).
func sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if max > 0 && n >= max {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
		n++
	}
	return b.String()
}

// Result is the outcome shown for a record: its decision, else its status.
func Result(r *Record) string {
	if r.Decision != "" {
		return r.Decision
	}
	return r.Status
}

// Summary is a one-line description of what a record says beyond its
// columns: the violations of a denial, else the error, else the code, else
// the details.
func Summary(r *Record) string {
	var parts []string
	for _, v := range r.Violations {
		s := v.Object + " (" + v.Act + ")"
		if v.Line > 0 {
			s += fmt.Sprintf(" at %d:%d", v.Line, v.Col)
		}
		if v.Rule != "" {
			s += ": " + v.Rule
		}
		parts = append(parts, s)
	}
	switch {
	case len(parts) > 0:
	case r.Error != "":
		parts = append(parts, "error: "+r.Error)
	case r.Code != "":
		parts = append(parts, "code: "+r.Code)
	case r.AuthMethod != "":
		parts = append(parts, "method: "+r.AuthMethod)
	}
	if len(r.Detail) > 0 {
		keys := make([]string, 0, len(r.Detail))
		for k := range r.Detail {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+"="+r.Detail[k])
		}
	}
	return sanitize(strings.Join(parts, "; "), summaryMax)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return sanitize(s, 40)
}

// FormatLine renders a record as one readable line (used by `audit tail`).
func FormatLine(r *Record) string {
	node := ""
	if r.Node != "" {
		node = " node=" + sanitize(r.Node, 40)
	}
	line := fmt.Sprintf("%s #%d%s %s user=%s %s remote=%s %s",
		r.Time.UTC().Format(displayTime), r.Seq, node, sanitize(r.Event, 40), orDash(r.User),
		orDash(Result(r)), orDash(r.Remote), Summary(r))
	if r.PolicyVersion != 0 {
		line += " policy_version=" + strconv.FormatInt(r.PolicyVersion, 10)
	}
	return line
}

// Table writes records as a fixed-width table (used by `audit query`). Fixed
// widths keep it streaming: no need to see every row before the first.
type Table struct {
	w      io.Writer
	header bool
}

// NewTable returns a table writer on w.
func NewTable(w io.Writer) *Table { return &Table{w: w} }

const tableRow = "%-24s %7s %-10s %-14s %-12s %-11s %-21s %s\n"

// Row writes one record, preceded by the header on the first call.
func (t *Table) Row(r *Record) error {
	if !t.header {
		t.header = true
		if _, err := fmt.Fprintf(t.w, tableRow, "TIME", "SEQ", "NODE", "EVENT", "USER", "RESULT", "REMOTE", "SUMMARY"); err != nil {
			return fmt.Errorf("writing table: %w", err)
		}
	}
	_, err := fmt.Fprintf(t.w, tableRow, r.Time.UTC().Format(displayTime), strconv.FormatUint(r.Seq, 10),
		orDash(r.Node), sanitize(r.Event, 40), orDash(r.User), orDash(Result(r)), orDash(r.Remote), Summary(r))
	if err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	return nil
}

// RowEval writes one record like Row; an eval_start record whose outcome is
// not in the trail (interrupted is true) is shown with the result
// "interrupted" (the record itself is not changed).
func (t *Table) RowEval(r *Record, interrupted bool) error {
	if interrupted {
		shown := *r
		shown.Decision = DecisionInterrupted
		return t.Row(&shown)
	}
	return t.Row(r)
}

// SanitizeList renders names read from a trail (node names) for a
// terminal: each escaped like every other field, joined by ", ".
func SanitizeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = sanitize(n, 64)
	}
	return strings.Join(out, ", ")
}
