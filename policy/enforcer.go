package policy

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
)

// objMatchFunc is the name under which model.conf's matcher calls the
// object matcher (exact unless glob:, see the package documentation).
const objMatchFunc = "objMatch"

// decision is one cached answer of the enforcer.
type decision struct {
	allowed bool
	// reason is the deciding rule as written in the policy file, or
	// "no rule matched" for the default deny.
	reason string
	src    Source
}

const reasonNoRule = "no rule matched"

// snapshot is one loaded generation of the policy: the enforcer built from
// it and every cache derived from it. A reload builds a new snapshot and
// swaps it in whole, so a cached decision can never outlive the rules that
// produced it (the trap of Casbin's CachedEnforcer, whose cache survives
// policy edits that do not go through its own API).
type snapshot struct {
	set      *policySet
	patterns map[string]*pattern // p rule object -> compiled
	bySource map[string]Source   // rule text -> where it was written (first occurrence)
	warnings []LoadWarning       // see Engine.Warnings

	mu  sync.Mutex // Casbin's Enforcer is not documented as safe for concurrent use
	enf *casbin.Enforcer
	// buckets, when not nil, are enforcers over a subset of the rules: all
	// g rules, all glob: rules and the exact rules whose object hashes to
	// the bucket. See bucketFor for why this gives the same answers.
	buckets []*casbin.Enforcer

	decisions  sync.Map // decisionKey -> decision
	allowlists sync.Map // user -> *Allowlist
}

// memAdapter hands already parsed and validated rules to Casbin. It is
// read-only: policies are changed by editing files, never through the API.
type memAdapter struct{ rules []*rule }

func (a *memAdapter) LoadPolicy(m model.Model) error {
	for _, r := range a.rules {
		line := append([]string{r.ptype}, r.fields...)
		if err := persist.LoadPolicyArray(line, m); err != nil {
			return fmt.Errorf("%s:%d: %w", r.src.File, r.src.Line, err)
		}
	}
	return nil
}

var errReadOnly = errors.New("policy adapter is read-only: edit the policy files")

func (a *memAdapter) SavePolicy(model.Model) error                { return errReadOnly }
func (a *memAdapter) AddPolicy(string, string, []string) error    { return errReadOnly }
func (a *memAdapter) RemovePolicy(string, string, []string) error { return errReadOnly }
func (a *memAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errReadOnly
}

// newSnapshot builds the Casbin enforcer for a loaded policy set.
func newSnapshot(ps *policySet, modelPath string) (*snapshot, error) {
	s := &snapshot{set: ps, patterns: map[string]*pattern{}, bySource: map[string]Source{}}
	for _, r := range ps.rules {
		if r.ptype == "p" {
			s.patterns[r.fields[1]] = r.pat
		}
		if _, ok := s.bySource[r.String()]; !ok {
			s.bySource[r.String()] = r.src
		}
	}
	if err := checkModelText(modelPath, ps.model); err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(ps.model)
	if err != nil {
		return nil, &LoadError{File: modelPath, Err: fmt.Errorf("parsing Casbin model: %w", err)}
	}
	if err := checkModelShape(m); err != nil {
		return nil, &LoadError{File: modelPath, Err: err}
	}
	if s.enf, err = s.newEnforcer(ps.rules); err != nil {
		return nil, &LoadError{File: modelPath, Err: err}
	}
	if matcherRequiresObjMatch(m) {
		buckets := make([][]*rule, numBuckets)
		for _, r := range ps.rules {
			if r.ptype == "p" && r.pat.glob == nil {
				b := bucketOf(r.fields[1])
				buckets[b] = append(buckets[b], r)
				continue
			}
			for i := range buckets {
				buckets[i] = append(buckets[i], r)
			}
		}
		s.buckets = make([]*casbin.Enforcer, numBuckets)
		for i, rules := range buckets {
			if s.buckets[i], err = s.newEnforcer(rules); err != nil {
				return nil, &LoadError{File: modelPath, Err: err}
			}
		}
	}
	return s, nil
}

// newEnforcer builds one Casbin enforcer over rules with the snapshot's
// model and object matcher.
func (s *snapshot) newEnforcer(rules []*rule) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(s.set.model)
	if err != nil {
		return nil, fmt.Errorf("parsing Casbin model: %w", err)
	}
	enf, err := casbin.NewEnforcer(m, &memAdapter{rules: rules}, false)
	if err != nil {
		return nil, fmt.Errorf("building enforcer: %w", err)
	}
	enf.EnableAutoSave(false)
	enf.AddFunction(objMatchFunc, func(args ...interface{}) (interface{}, error) {
		if len(args) != 2 {
			return false, fmt.Errorf("%s takes 2 arguments, got %d", objMatchFunc, len(args))
		}
		obj, ok1 := args[0].(string)
		pat, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return false, fmt.Errorf("%s takes strings", objMatchFunc)
		}
		p := s.patterns[pat]
		return p != nil && p.match(obj), nil
	})
	// Evaluate the matcher once now: a model whose matcher does not compile
	// must fail the load, not the first user's request.
	if _, err := enf.Enforce("role:probe", DynamicCall, ActCall); err != nil {
		return nil, fmt.Errorf("evaluating the model's matcher: %w", err)
	}
	return enf, nil
}

// numBuckets splits the exact rules so that one request is matched against
// a few dozen rules instead of all of them: resolving an allowlist asks for
// thousands of objects, and Casbin evaluates the matcher once per rule.
const numBuckets = 32

func bucketOf(obj string) int {
	h := fnv.New32a()
	h.Write([]byte(obj))
	return int(h.Sum32() % numBuckets)
}

// matcherRequiresObjMatch reports whether the model's matcher is a plain
// conjunction with objMatch(r.obj, p.obj) as one of its terms. Only then
// can a rule whose exact object differs from the request's never match, so
// that leaving it out (bucketing) changes no decision and no explanation.
// Any other matcher is evaluated over all rules.
func matcherRequiresObjMatch(m model.Model) bool {
	ast, ok := m["m"]["m"]
	if !ok {
		return false
	}
	expr := strings.Join(strings.Fields(ast.Value), "")
	if strings.Contains(expr, "||") {
		return false
	}
	for _, term := range strings.Split(expr, "&&") {
		if term == objMatchFunc+"(r_obj,p_obj)" || term == objMatchFunc+"(r.obj,p.obj)" {
			return true
		}
	}
	return false
}

// enforcerFor picks the enforcer that decides requests for obj.
func (s *snapshot) enforcerFor(obj string) *casbin.Enforcer {
	if s.buckets != nil {
		return s.buckets[bucketOf(obj)]
	}
	return s.enf
}

// checkModelShape makes sure the model speaks the request and policy shape
// the analysis produces and the files are validated against.
func checkModelShape(m model.Model) error {
	want := map[string][]string{
		"r": {"r_sub", "r_obj", "r_act"},
		"p": {"p_sub", "p_obj", "p_act", "p_eft"},
	}
	for sec, tokens := range want {
		ast, ok := m[sec][sec]
		if !ok {
			return fmt.Errorf("model has no %s definition", sec)
		}
		if !slices.Equal(ast.Tokens, tokens) {
			return fmt.Errorf("model's %s is %s, rwarden needs %s", sec, strings.Join(ast.Tokens, ", "), strings.Join(tokens, ", "))
		}
	}
	if _, ok := m["g"]["g"]; !ok {
		return errors.New("model has no role definition g")
	}
	return nil
}

type decisionKey struct{ user, obj, act string }

// decide answers one request, from the cache when possible.
func (s *snapshot) decide(user, obj, act string) (decision, error) {
	k := decisionKey{user, obj, act}
	if d, ok := s.decisions.Load(k); ok {
		return d.(decision), nil
	}
	s.mu.Lock()
	ok, explain, err := s.enforcerFor(obj).EnforceEx(user, obj, act)
	s.mu.Unlock()
	if err != nil {
		return decision{}, fmt.Errorf("enforcing (%s, %s, %s): %w", user, obj, act, err)
	}
	d := decision{allowed: ok}
	switch {
	case len(explain) > 0:
		// The effector names the first matching deny when denied and the
		// first matching allow when allowed.
		d.reason = "p, " + strings.Join(explain, ", ")
		d.src = s.bySource[d.reason]
	case !ok:
		d.reason = reasonNoRule
	}
	s.decisions.Store(k, d)
	return d, nil
}

// roles returns the direct and inherited roles of a subject.
func (s *snapshot) roles(user string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.enf.GetImplicitRolesForUser(user)
	if err != nil {
		return nil
	}
	return rs
}
