package policy

import (
	"fmt"
	"strings"
)

// The matcher and effect rwarden's decisions are built on. A model.conf
// whose matcher or effect differs, even by an extra "|| true" term or a
// changed effect, would silently weaken every rule, so it is refused.
const (
	shippedMatcher = "r.act == p.act && g(r.sub, p.sub) && objMatch(r.obj, p.obj)"
	shippedEffect  = "some(where (p.eft == allow)) && !some(where (p.eft == deny))"
)

// checkModelText checks the [matchers] and [policy_effect] of a model
// text against the shipped ones and returns a *LoadError with the line of
// the first difference.
func checkModelText(path, text string) error {
	want := map[string]string{"matchers": shippedMatcher, "policy_effect": shippedEffect}
	key := map[string]string{"matchers": "m", "policy_effect": "e"}
	found := map[string]bool{}
	section := ""
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		w, ok := want[section]
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if name != key[section] {
			return &LoadError{File: path, Line: i + 1, Err: fmt.Errorf("[%s] may only define %s (found %q); hint: use the shipped model.conf unchanged", section, key[section], name)}
		}
		if found[section] {
			return &LoadError{File: path, Line: i + 1, Err: fmt.Errorf("[%s] defines %s twice; hint: use the shipped model.conf unchanged", section, name)}
		}
		found[section] = true
		if compact(value) != compact(w) {
			return &LoadError{File: path, Line: i + 1, Err: fmt.Errorf("%s = %s differs from rwarden's %s = %s, which every rule relies on; hint: use the shipped model.conf unchanged (grant or deny in the role and user files instead)", name, strings.TrimSpace(value), name, w)}
		}
	}
	for _, s := range []string{"policy_effect", "matchers"} {
		if !found[s] {
			return &LoadError{File: path, Err: fmt.Errorf("model has no [%s] %s = %s; hint: use the shipped model.conf", s, key[s], want[s])}
		}
	}
	return nil
}

// compact drops white space, which Casbin ignores in expressions.
func compact(s string) string {
	return strings.Join(strings.Fields(s), "")
}
