package policy

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Layout of a policy directory.
const (
	modelFile = "model.conf"
	rolesDir  = "roles"
	usersDir  = "users"
	// rolePrefix starts every role subject, so that a role can never be
	// confused with a user (user names cannot contain ':').
	rolePrefix = "role:"
	// maxPolicyFileSize bounds what one policy file may hold; policy files
	// are small and hand-written, a huge one is a mistake.
	maxPolicyFileSize = 4 << 20
)

// userNameRE is what a per-user file may be called (users/NAME.csv).
var userNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._@-]{0,127}$`)

// roleNameRE is what follows "role:".
var roleNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// LoadError is a policy that could not be loaded: the file, the 1-based
// line (0 when the error concerns the whole file) and the cause.
type LoadError struct {
	File string
	Line int
	Err  error
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// Source is where a rule was written.
type Source struct {
	File string
	Line int
}

// rule is one p or g line.
type rule struct {
	ptype  string   // "p" or "g"
	fields []string // without the ptype: sub, obj, act, eft for p; member, role for g
	src    Source
	pat    *pattern // compiled obj, p rules only
}

// String renders a rule the way it is written in a policy file, which is
// also how a Violation names its deciding rule.
func (r *rule) String() string { return r.ptype + ", " + strings.Join(r.fields, ", ") }

// policySet is everything read from a policy directory.
type policySet struct {
	model string
	rules []*rule
	users map[string]string // user -> the file that defines them
	roles map[string]bool   // every role defined in roles/
}

// loadPolicyDir reads and validates a whole policy directory. Any error is
// a *LoadError naming the file and line.
func loadPolicyDir(dir string) (*policySet, error) {
	ps := &policySet{users: map[string]string{}, roles: map[string]bool{}}
	modelPath := filepath.Join(dir, modelFile)
	b, err := readBounded(modelPath)
	if err != nil {
		return nil, &LoadError{File: modelPath, Err: err}
	}
	ps.model = string(b)

	roleFiles, err := csvFiles(filepath.Join(dir, rolesDir))
	if err != nil {
		return nil, &LoadError{File: filepath.Join(dir, rolesDir), Err: err}
	}
	userFiles, err := csvFiles(filepath.Join(dir, usersDir))
	if err != nil {
		return nil, &LoadError{File: filepath.Join(dir, usersDir), Err: err}
	}
	for _, f := range roleFiles {
		rules, err := parsePolicyFile(f, "")
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			ps.roles[r.fields[0]] = true
		}
		ps.rules = append(ps.rules, rules...)
	}
	for _, f := range userFiles {
		user := strings.TrimSuffix(filepath.Base(f), ".csv")
		if !userNameRE.MatchString(user) {
			return nil, &LoadError{File: f, Err: fmt.Errorf("user file name %q is not a valid user name (%s)", user, userNameRE)}
		}
		rules, err := parsePolicyFile(f, user)
		if err != nil {
			return nil, err
		}
		ps.users[user] = f
		ps.rules = append(ps.rules, rules...)
	}
	// A g line naming an unknown role is almost always a typo; fail loudly
	// instead of leaving the user silently without their grants.
	for _, r := range ps.rules {
		if r.ptype == "g" && !ps.roles[r.fields[1]] {
			return nil, &LoadError{File: r.src.File, Line: r.src.Line, Err: fmt.Errorf("unknown role %q (no rule in %s/ defines it)", r.fields[1], rolesDir)}
		}
	}
	if err := checkRoleCycles(ps.rules); err != nil {
		return nil, err
	}
	return ps, nil
}

// csvFiles lists dir/*.csv in name order; a missing directory is empty.
func csvFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing policy files: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".csv") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy file: %w", err)
	}
	if fi.Size() > maxPolicyFileSize {
		return nil, fmt.Errorf("policy file is %d bytes, more than the %d allowed", fi.Size(), maxPolicyFileSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy file: %w", err)
	}
	if len(b) > maxPolicyFileSize {
		return nil, fmt.Errorf("policy file grew beyond %d bytes while reading", maxPolicyFileSize)
	}
	return b, nil
}

// parsePolicyFile reads one role file (user == "") or the file of user.
func parsePolicyFile(path, user string) ([]*rule, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	return parsePolicy(path, user, string(b))
}

// parsePolicy parses policy text. It is separate from file reading so that
// it can be fuzzed: policy files are operator input, but a broken one must
// never take the running policy down.
func parsePolicy(path, user, text string) ([]*rule, error) {
	var out []*rule
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := parseRule(line, user)
		if err != nil {
			return nil, &LoadError{File: path, Line: lineNo, Err: err}
		}
		r.src = Source{File: path, Line: lineNo}
		out = append(out, r)
	}
	return out, nil
}

// parseRule parses and validates one non-comment line.
func parseRule(line, user string) (*rule, error) {
	cr := csv.NewReader(strings.NewReader(line))
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("not a CSV line: %w", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
		if rec[i] == "" {
			return nil, fmt.Errorf("field %d is empty", i+1)
		}
	}
	r := &rule{ptype: rec[0], fields: rec[1:]}
	switch r.ptype {
	case "p":
		if len(r.fields) != 4 {
			return nil, fmt.Errorf("a p rule has 4 fields after p (subject, object, act, effect), got %d", len(r.fields))
		}
		sub, obj, act, eft := r.fields[0], r.fields[1], r.fields[2], r.fields[3]
		if err := checkSubject(sub, user); err != nil {
			return nil, err
		}
		if act != ActCall && act != ActLoad {
			return nil, fmt.Errorf("act %q is neither %s nor %s", act, ActCall, ActLoad)
		}
		if eft != "allow" && eft != "deny" {
			return nil, fmt.Errorf("effect %q is neither allow nor deny", eft)
		}
		if r.pat, err = compilePattern(obj, act); err != nil {
			return nil, err
		}
	case "g":
		if len(r.fields) != 2 {
			return nil, fmt.Errorf("a g rule has 2 fields after g (member, role), got %d", len(r.fields))
		}
		if err := checkSubject(r.fields[0], user); err != nil {
			return nil, err
		}
		if !isRole(r.fields[1]) {
			return nil, fmt.Errorf("%q is not a role: roles are written role:NAME", r.fields[1])
		}
	default:
		return nil, fmt.Errorf("rule type %q is neither p nor g", r.ptype)
	}
	return r, nil
}

func isRole(s string) bool {
	return strings.HasPrefix(s, rolePrefix) && roleNameRE.MatchString(s[len(rolePrefix):])
}

// checkSubject enforces who a file may speak for: a role file only for
// roles, a user's file only for that user. Without this, a line in
// alice.csv could quietly grant bob admin.
func checkSubject(sub, user string) error {
	if user == "" {
		if !isRole(sub) {
			return fmt.Errorf("subject %q: a role file may only define roles (role:NAME)", sub)
		}
		return nil
	}
	if sub != user {
		return fmt.Errorf("subject %q: this file belongs to user %q and may only name that user", sub, user)
	}
	return nil
}

// checkRoleCycles rejects role inheritance loops, which Casbin would
// silently cut at an arbitrary depth.
func checkRoleCycles(rules []*rule) error {
	parents := map[string][]*rule{}
	for _, r := range rules {
		if r.ptype == "g" {
			parents[r.fields[0]] = append(parents[r.fields[0]], r)
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(n string) *rule
	visit = func(n string) *rule {
		state[n] = visiting
		for _, r := range parents[n] {
			p := r.fields[1]
			switch state[p] {
			case visiting:
				return r
			case 0:
				if c := visit(p); c != nil {
					return c
				}
			}
		}
		state[n] = done
		return nil
	}
	names := make([]string, 0, len(parents))
	for n := range parents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if state[n] == 0 {
			if r := visit(n); r != nil {
				return &LoadError{File: r.src.File, Line: r.src.Line, Err: fmt.Errorf("role inheritance loop through %q", r.fields[1])}
			}
		}
	}
	return nil
}
