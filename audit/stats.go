package audit

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Stats summarises audit records for `rwarden audit stats`.
type Stats struct {
	Records    int                       `json:"records"`
	ByEvent    map[string]int            `json:"by_event"`
	ByDecision map[string]int            `json:"by_decision"` // eval records only
	ByUser     map[string]map[string]int `json:"by_user"`     // user -> decision (or auth_<status>) -> count
	Denied     map[string]int            `json:"denied"`      // violation object -> count, over denied evals
}

// NewStats returns empty statistics.
func NewStats() *Stats {
	return &Stats{
		ByEvent:    map[string]int{},
		ByDecision: map[string]int{},
		ByUser:     map[string]map[string]int{},
		Denied:     map[string]int{},
	}
}

// Add counts one record.
func (s *Stats) Add(r *Record) {
	s.Records++
	s.ByEvent[r.Event]++
	user := r.User
	if user == "" {
		user = "-"
	}
	var outcome string
	switch r.Event {
	case EventEval:
		s.ByDecision[r.Decision]++
		outcome = r.Decision
	case EventAuth:
		outcome = "auth_" + r.Status
	case EventAccessDenied:
		outcome = EventAccessDenied
	default:
		return
	}
	if s.ByUser[user] == nil {
		s.ByUser[user] = map[string]int{}
	}
	s.ByUser[user][outcome]++
	if r.Decision == DecisionDenied {
		for _, v := range r.Violations {
			s.Denied[v.Object]++
		}
	}
}

// Count is a name with a count.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// sorted returns m's entries by count, descending, then by name.
func sorted(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// TopDenied returns the n most often denied objects.
func (s *Stats) TopDenied(n int) []Count {
	c := sorted(s.Denied)
	if len(c) > n {
		c = c[:n]
	}
	return c
}

// WriteText writes the statistics as readable text.
func (s *Stats) WriteText(w io.Writer, top int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "records: %d\n\nby event:\n", s.Records)
	for _, c := range sorted(s.ByEvent) {
		fmt.Fprintf(&b, "  %-16s %8d\n", sanitize(c.Name, 40), c.Count)
	}
	b.WriteString("\nevaluations by decision:\n")
	for _, c := range sorted(s.ByDecision) {
		fmt.Fprintf(&b, "  %-16s %8d\n", sanitize(c.Name, 40), c.Count)
	}
	b.WriteString("\nby user:\n")
	users := make([]string, 0, len(s.ByUser))
	for u := range s.ByUser {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		var parts []string
		for _, c := range sorted(s.ByUser[u]) {
			parts = append(parts, fmt.Sprintf("%s=%d", c.Name, c.Count))
		}
		fmt.Fprintf(&b, "  %-16s %s\n", sanitize(u, 40), strings.Join(parts, " "))
	}
	fmt.Fprintf(&b, "\ntop denied functions:\n")
	for _, c := range s.TopDenied(top) {
		fmt.Fprintf(&b, "  %-32s %8d\n", sanitize(c.Name, 80), c.Count)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing stats: %w", err)
	}
	return nil
}
