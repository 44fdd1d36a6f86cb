package policy

import (
	"fmt"
	"slices"
)

// ExternalSource names the rules of users whose roles come from an
// external directory (LDAP groups) instead of a policy file.
const ExternalSource = "(external directory)"

// SetExternalRoles gives user the roles an external directory maps their
// groups to (nil or empty: none, the user is forgotten), for users without
// a policy file; a user with a policy file keeps it and the roles are
// ignored (returns false). Changed roles bring in a new policy at once
// (a reload, which also re-reads the files; on error the previous policy
// stays and the roles are not changed). Every role must be defined.
func (e *Engine) SetExternalRoles(user string, roles []string) (bool, error) {
	if !userNameRE.MatchString(user) {
		return false, fmt.Errorf("external user %q: not a valid user name", user)
	}
	roles = slices.Clone(roles)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	e.reloadMu.Lock()
	cur := e.snap()
	if f, ok := cur.set.users[user]; ok && f != ExternalSource {
		e.reloadMu.Unlock()
		return false, nil
	}
	if slices.Equal(e.external[user], roles) {
		e.reloadMu.Unlock()
		return true, nil
	}
	for _, r := range roles {
		if !cur.set.roles[r] {
			e.reloadMu.Unlock()
			return false, fmt.Errorf("external user %s: unknown role %q", user, r)
		}
	}
	old, had := e.external[user]
	if e.external == nil {
		e.external = map[string][]string{}
	}
	if len(roles) == 0 {
		delete(e.external, user)
	} else {
		e.external[user] = roles
	}
	e.reloadMu.Unlock()
	if err := e.Reload(); err != nil {
		e.reloadMu.Lock()
		if had {
			e.external[user] = old
		} else {
			delete(e.external, user)
		}
		e.reloadMu.Unlock()
		return false, err
	}
	return true, nil
}

// addExternal adds the external users (those without a policy file) and
// their g rules to a freshly loaded policy set. The caller holds reloadMu.
func (e *Engine) addExternal(ps *policySet) {
	for user, roles := range e.external {
		if _, ok := ps.users[user]; ok {
			continue // a policy file wins
		}
		n := 0
		for _, r := range roles {
			if ps.roles[r] { // a role removed from the files is gone
				ps.rules = append(ps.rules, &rule{ptype: "g", fields: []string{user, r}, src: Source{File: ExternalSource}})
				n++
			}
		}
		if n > 0 {
			ps.users[user] = ExternalSource
		}
	}
}
