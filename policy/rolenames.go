package policy

import "slices"

// RoleNames lists every role the policy in force defines (files in roles/),
// as written there ("role:analyst"), sorted. The proxy checks the role
// names of its per-role limits against it.
func (e *Engine) RoleNames() []string {
	s := e.snap()
	out := make([]string, 0, len(s.set.roles))
	for r := range s.set.roles {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
