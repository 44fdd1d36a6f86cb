package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Config says where the policy lives and which R it describes.
type Config struct {
	// Dir holds model.conf, roles/*.csv and users/NAME.csv.
	Dir string
	// CacheDir keeps the exports index between runs; empty means rebuild
	// it (run R) at every Open.
	CacheDir string
	// RHome is the R installation whose exports resolve unqualified
	// names; empty means DefaultRHome.
	RHome string
	// LibPaths are library trees beyond R's own (site libraries, an renv
	// project library) whose packages the index lists, so that policies
	// can name their functions; workers see them only where configured.
	LibPaths []string
	// Logger receives reloads and index builds; nil means slog.Default().
	Logger *slog.Logger
}

// ErrUnknownUser is returned for a user without a policy file.
var ErrUnknownUser = errors.New("no policy for this user")

// Engine is the loaded policy of a policy directory plus the exports index
// of the installed R. It is safe for concurrent use; Reload swaps the whole
// policy atomically.
type Engine struct {
	dir   string
	index *Index
	log   *slog.Logger

	reloadMu sync.Mutex // one reload at a time
	cur      atomic.Pointer[snapshot]
	// external maps users without a policy file to the roles an external
	// directory gave them (SetExternalRoles); guarded by reloadMu.
	external map[string][]string
}

// Open loads the exports index (from the cache or by running R) and the
// policy. It fails if the policy does not load: there is no previous policy
// to fall back to yet.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Dir == "" {
		return nil, errors.New("opening policy: no policy directory given")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("opening policy %s: %w", cfg.Dir, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	rHome := cfg.RHome
	if rHome == "" {
		rHome = DefaultRHome
	}
	ix, err := loadIndexWith(ctx, rHome, cfg.LibPaths, cfg.CacheDir, log)
	if err != nil {
		return nil, fmt.Errorf("opening policy: %w", err)
	}
	return newEngine(dir, ix, log)
}

// newEngine loads the policy in dir against an already built index.
func newEngine(dir string, ix *Index, log *slog.Logger) (*Engine, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("opening policy: %s is not a directory", dir)
	}
	e := &Engine{dir: dir, index: ix, log: log}
	if err := e.Reload(); err != nil {
		return nil, fmt.Errorf("opening policy: %w", err)
	}
	return e, nil
}

// Index returns the exports index the engine resolves names with.
func (e *Engine) Index() *Index { return e.index }

// Reload reads the policy directory again. On success the new policy is in
// force for every later decision and every cache is dropped with the old
// policy; on failure the previous policy stays in force and the error (a
// *LoadError) names file, line and cause.
func (e *Engine) Reload() error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	ps, err := loadPolicyDir(e.dir)
	if err != nil {
		return err
	}
	e.addExternal(ps)
	s, err := newSnapshot(ps, filepath.Join(e.dir, modelFile))
	if err != nil {
		return err
	}
	s.warnings = e.loadWarnings(ps)
	e.cur.Store(s)
	for _, w := range s.warnings {
		e.log.Warn("policy warning", "file", w.File, "line", w.Line, "warning", w.Msg)
	}
	return nil
}

// LoadWarning is something in a loaded policy that is allowed but most
// likely a mistake: a rule that names nothing installed, a user file that
// grants nothing. The policy is in force; the proxy audits these.
type LoadWarning struct {
	File string
	Line int // 0 for the whole file
	Msg  string
}

func (w LoadWarning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Msg)
}

// Warnings returns the warnings of the policy in force (from the last
// successful Open or Reload), in file order.
func (e *Engine) Warnings() []LoadWarning {
	return slices.Clone(e.snap().warnings)
}

// loadWarnings lists the warnings of a loaded policy set.
func (e *Engine) loadWarnings(ps *policySet) []LoadWarning {
	var out []LoadWarning
	for _, u := range e.unknownObjects(ps) {
		out = append(out, LoadWarning{File: u.src.File, Line: u.src.Line,
			Msg: fmt.Sprintf("rule %q names nothing in the installed R (a typo, or a pattern missing glob:?)", u.String())})
	}
	for _, r := range ps.rules {
		if r.ptype != "p" || r.fields[3] != "allow" {
			continue
		}
		if pkg := rulePackage(r.fields[1]); pkg != "" && !e.index.HasPackage(pkg) {
			out = append(out, LoadWarning{File: r.src.File, Line: r.src.Line,
				Msg: fmt.Sprintf("rule %q grants package %s, which is not installed", r.String(), pkg)})
		}
	}
	users := make([]string, 0, len(ps.users))
	for u := range ps.users {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		n := 0
		for _, r := range ps.rules {
			if r.src.File == ps.users[u] {
				n++
			}
		}
		if n == 0 {
			out = append(out, LoadWarning{File: ps.users[u], Msg: fmt.Sprintf("user file of %s has no rules: %s is denied everything", u, u)})
		}
	}
	slices.SortStableFunc(out, func(a, b LoadWarning) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return out
}

// rulePackage is the package a rule's object names: pkg:PKG, PKG::NAME,
// internal:PKG, or a glob: whose package part has no wildcard; "" for
// anything else.
func rulePackage(obj string) string {
	switch {
	case strings.HasPrefix(obj, pkgPrefix):
		return obj[len(pkgPrefix):]
	case strings.HasPrefix(obj, internalPrefix):
		return obj[len(internalPrefix):]
	case isGlob(obj):
		p, _, ok := strings.Cut(obj[len(globPrefix):], "::")
		if ok && validPackageName(p) {
			return p
		}
		return ""
	}
	if pkg, _, ok := splitFunction(obj); ok {
		return pkg
	}
	return ""
}

// unknownObjects lists the exact function rules whose package is installed
// but has no object of that name: such a rule is dead, most likely a typo.
func (e *Engine) unknownObjects(ps *policySet) []*rule {
	var out []*rule
	for _, r := range ps.rules {
		if r.ptype != "p" || r.pat.glob != nil {
			continue
		}
		pkg, name, ok := splitFunction(r.fields[1])
		if !ok {
			continue
		}
		p := e.index.Packages[pkg]
		if p != nil && !p.funcs[name] && !p.vars[name] {
			out = append(out, r)
		}
	}
	return out
}

// snap is the policy in force.
func (e *Engine) snap() *snapshot { return e.cur.Load() }

// HasUser reports whether the user has a policy file.
func (e *Engine) HasUser(user string) bool {
	_, ok := e.snap().set.users[user]
	return ok
}

// Users lists the users with a policy file, sorted.
func (e *Engine) Users() []string {
	var out []string
	for u := range e.snap().set.users {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// Roles returns the user's direct and inherited roles as written in the
// policy (e.g. "role:analyst", "role:restricted"), direct roles first. The
// proxy keys per-role limits on these names.
func (e *Engine) Roles(user string) []string {
	s := e.snap()
	if _, ok := s.set.users[user]; !ok {
		return nil
	}
	return s.roles(user)
}

func (e *Engine) checkUser(s *snapshot, user string) error {
	if _, ok := s.set.users[user]; !ok {
		return fmt.Errorf("user %q: %w", user, ErrUnknownUser)
	}
	return nil
}
