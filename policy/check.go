package policy

import (
	"cmp"
	"fmt"
	"slices"
)

// Decision is the static verdict on a piece of code for one user.
type Decision struct {
	Allowed    bool
	Violations []Violation
}

// Violation is one denied request: the object and act, where the code
// references it, and the deciding rule ("p, role:restricted, base::system,
// call, deny") or "no rule matched" for the default deny.
type Violation struct {
	Object, Act string
	Line, Col   int
	Reason      string
	// Source is where the deciding rule is written (empty for the default
	// deny).
	Source Source
}

// String renders a violation the way `rwarden policy check` prints it.
func (v Violation) String() string {
	return fmt.Sprintf("%d:%d %s (%s): %s", v.Line, v.Col, v.Object, v.Act, v.Reason)
}

// Check parses code, finds every function reference and decides each for
// user. A syntax error is returned as an error wrapping
// *rsyntax.SyntaxError; an unknown user as one wrapping ErrUnknownUser.
// Code is allowed when no request is denied.
func (e *Engine) Check(user string, code []byte) (*Decision, error) {
	s := e.snap()
	if err := e.checkUser(s, user); err != nil {
		return nil, err
	}
	refs, err := analyze(code)
	if err != nil {
		return nil, err
	}
	return e.decideRefs(s, user, refs)
}

// decideRefs decides the requests of already analysed references.
func (e *Engine) decideRefs(s *snapshot, user string, refs []reference) (*Decision, error) {
	reqs := e.index.requests(refs)
	type objAct struct{ obj, act string }
	// A script names the same few functions over and over; decide each
	// once per check, without touching the shared cache again.
	local := make(map[objAct]decision)
	seen := make(map[request]bool)
	d := &Decision{Allowed: true}
	for _, r := range reqs {
		k := objAct{r.obj, r.act}
		dec, ok := local[k]
		if !ok {
			var err error
			if dec, err = s.decide(user, r.obj, r.act); err != nil {
				return nil, fmt.Errorf("checking code for %s: %w", user, err)
			}
			local[k] = dec
		}
		if dec.allowed || seen[r] {
			continue
		}
		seen[r] = true
		d.Allowed = false
		d.Violations = append(d.Violations, Violation{
			Object: r.obj, Act: r.act, Line: r.line, Col: r.col,
			Reason: dec.reason, Source: dec.src,
		})
	}
	slices.SortStableFunc(d.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Act, b.Act))
	})
	return d, nil
}
