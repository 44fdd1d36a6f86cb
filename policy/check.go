package policy

import (
	"fmt"
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
	// Detail says, for dynamic:call, what the analysis could not see
	// through and how to write the code instead.
	Detail string
}

// String renders a violation the way `rwarden policy check` prints it.
func (v Violation) String() string {
	if v.Detail != "" {
		return fmt.Sprintf("%d:%d %s (%s): %s (%s)", v.Line, v.Col, v.Object, v.Act, v.Reason, v.Detail)
	}
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
	c := getChecker()
	defer putChecker(c)
	return c.check(e.index, s, user, code)
}

// decideRefs decides the requests of already analysed references.
func (e *Engine) decideRefs(s *snapshot, user string, refs []reference) (*Decision, error) {
	c := getChecker()
	defer putChecker(c)
	c.reset(s, e.index, user)
	for _, req := range e.index.requests(refs) {
		if err := c.decideRequest(s, user, req); err != nil {
			return nil, err
		}
	}
	return c.finish(), nil
}
