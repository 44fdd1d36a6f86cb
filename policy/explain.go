package policy

import (
	"fmt"
	"slices"
)

// Explanation says why a request is allowed or denied for a user.
type Explanation struct {
	User, Object, Act string
	Allowed           bool
	// Reason is the deciding rule as written, or "no rule matched".
	Reason string
	// Source is where the deciding rule is written.
	Source Source
	// Roles are the user's direct and inherited roles.
	Roles []string
	// Rules are all rules that match the request through the user or one
	// of their roles, in file order: the allows and denies that the effect
	// (some allow and no deny) combines.
	Rules []ExplainedRule
}

// ExplainedRule is one matching rule.
type ExplainedRule struct {
	Rule    string // "p, role:restricted, base::system, call, deny"
	Subject string // the user or role it applies through
	Effect  string // allow or deny
	Source  Source
}

// ActFor returns the act a policy object is requested with: load for
// pkg:PKG, call for everything else.
func ActFor(object string) string {
	if classifyObject(object) == kindPackage {
		return ActLoad
	}
	return ActCall
}

// Explain reports the decision on (user, object, act) with the roles and
// rules that make it. object is an exact request object (PKG::NAME,
// pkg:PKG, internal:PKG or dynamic:call), not a pattern.
func (e *Engine) Explain(user, object, act string) (*Explanation, error) {
	s := e.snap()
	if err := e.checkUser(s, user); err != nil {
		return nil, err
	}
	if classifyObject(object) == kindInvalid {
		return nil, fmt.Errorf("explaining %q: not a policy object (PKG::NAME, pkg:PKG, internal:PKG or %s)", object, DynamicCall)
	}
	if act != ActCall && act != ActLoad {
		return nil, fmt.Errorf("explaining %q: act %q is neither %s nor %s", object, act, ActCall, ActLoad)
	}
	d, err := s.decide(user, object, act)
	if err != nil {
		return nil, fmt.Errorf("explaining %q for %s: %w", object, user, err)
	}
	ex := &Explanation{
		User: user, Object: object, Act: act,
		Allowed: d.allowed, Reason: d.reason, Source: d.src,
		Roles: s.roles(user),
	}
	if ex.Reason == "" {
		ex.Reason = reasonNoRule
	}
	subjects := append([]string{user}, ex.Roles...)
	for _, r := range s.set.rules {
		if r.ptype != "p" || r.fields[2] != act || !slices.Contains(subjects, r.fields[0]) || !r.pat.match(object) {
			continue
		}
		ex.Rules = append(ex.Rules, ExplainedRule{Rule: r.String(), Subject: r.fields[0], Effect: r.fields[3], Source: r.src})
	}
	return ex, nil
}
