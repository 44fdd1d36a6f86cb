package core

import (
	"slices"
	"strings"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// Limits are the resolved limits of one user's sessions: the sandbox's
// limits of each evaluation and session, and how many sessions the user may
// have open at once.
type Limits struct {
	sandbox.Limits
	Sessions int           // concurrent sessions per user
	Idle     time.Duration // a session's wait for its client's next request
	Data     int64         // bytes of one data transfer into a session
}

// DefaultSessions is the built-in limit of concurrent sessions per user.
const DefaultSessions = 4

// DefaultIdle is the built-in idle timeout of a session: an idle client
// holds a worker (and one of the user's sessions) at most this long.
const DefaultIdle = 10 * time.Minute

// DefaultData is the built-in bound of one data transfer into a session
// (limits.*.data).
const DefaultData = 256 << 20

// MaxData is the most one data transfer may carry whatever the
// configuration says: what a worker accepts in one request, less room
// for the frame.
const MaxData = sandbox.MaxAssignBytes - 1<<20

// DefaultLimits are the limits when the configuration sets none: the
// sandbox's defaults (the one place they are defined), DefaultSessions and
// DefaultIdle.
func DefaultLimits() Limits {
	return Limits{Limits: sandbox.DefaultLimits(), Sessions: DefaultSessions, Idle: DefaultIdle, Data: DefaultData}
}

// rolePrefix starts every role name in the policy ("role:restricted"); the
// configuration names roles without it (limits.roles.restricted).
const rolePrefix = "role:"

// ResolveLimits resolves the limits of a user holding roles (as the policy
// names them, "role:analyst", or bare, "analyst"), in three levels: the
// built-in defaults overlaid by limits.default; then the roles; then
// limits.users[user]. At the role level, a key set by several of the
// user's roles takes the most restrictive (smallest) value, so the order of
// roles never matters and holding an extra role can never loosen a limit
// another role sets; a role may still raise a limit above limits.default.
// A per-user entry overrides everything. This is the one place limits are
// merged.
func ResolveLimits(c *config.Config, user string, roles []string) Limits {
	lim := DefaultLimits()
	apply(c.Limits.Default, &lim)
	var fromRoles config.LimitSet
	for _, r := range roles {
		if set, ok := c.Limits.Roles[strings.TrimPrefix(r, rolePrefix)]; ok {
			fromRoles = tighten(fromRoles, set)
		}
	}
	apply(fromRoles, &lim)
	if set, ok := c.Limits.Users[user]; ok {
		apply(set, &lim)
	}
	return lim
}

// LimitsFor resolves the limits of user with the roles the policy in force
// gives them.
func (c *Core) LimitsFor(user string) Limits {
	return ResolveLimits(c.cfg, user, c.policy.Roles(user))
}

func apply(s config.LimitSet, l *Limits) {
	if s.Wall != nil {
		l.Wall = s.Wall.Std()
	}
	if s.CPU != nil {
		l.CPU = s.CPU.Std()
	}
	if s.Memory != nil {
		l.Memory = int64(*s.Memory)
	}
	if s.Output != nil {
		l.Output = int64(*s.Output)
	}
	if s.Sessions != nil {
		l.Sessions = *s.Sessions
	}
	if s.SessionWall != nil {
		l.SessionWall = s.SessionWall.Std()
	}
	if s.SessionCPU != nil {
		l.SessionCPU = s.SessionCPU.Std()
	}
	if s.Idle != nil {
		l.Idle = s.Idle.Std()
	}
	if s.Data != nil {
		l.Data = int64(*s.Data)
	}
}

// tighten keeps, for every key, the smaller of s's and o's values.
func tighten(s, o config.LimitSet) config.LimitSet {
	return config.LimitSet{
		Wall: minPtr(s.Wall, o.Wall), CPU: minPtr(s.CPU, o.CPU), Memory: minPtr(s.Memory, o.Memory),
		Output: minPtr(s.Output, o.Output), Sessions: minPtr(s.Sessions, o.Sessions),
		SessionWall: minPtr(s.SessionWall, o.SessionWall), SessionCPU: minPtr(s.SessionCPU, o.SessionCPU),
		Idle: minPtr(s.Idle, o.Idle), Data: minPtr(s.Data, o.Data),
	}
}

func minPtr[T ~int | ~int64](a, b *T) *T {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case *b < *a:
		return b
	}
	return a
}

// ceilingLimits is the field-wise maximum of every limit the configuration
// can give a session (default, each role, each user): the pool's ceilings,
// so that no configured limit is cut by the pool.
func ceilingLimits(c *config.Config) Limits {
	top := ResolveLimits(c, "", nil)
	up := func(l Limits) {
		top.Wall, top.CPU = max(top.Wall, l.Wall), max(top.CPU, l.CPU)
		top.Memory, top.Output = max(top.Memory, l.Memory), max(top.Output, l.Output)
		top.SessionWall, top.SessionCPU = max(top.SessionWall, l.SessionWall), max(top.SessionCPU, l.SessionCPU)
		top.Sessions = max(top.Sessions, l.Sessions)
	}
	for role := range c.Limits.Roles {
		up(ResolveLimits(c, "", []string{role}))
	}
	for user := range c.Limits.Users {
		up(ResolveLimits(c, user, nil))
	}
	return top
}

// checkLimitNames reports every limits.roles key that is no role of the
// policy and every limits.users key that is no user with a policy: a typo
// there would silently leave a user with looser limits.
func checkLimitNames(c *config.Config, pol *policy.Engine, p *config.Problems) {
	roles := pol.RoleNames()
	for _, name := range sortedKeys(c.Limits.Roles) {
		if !slices.Contains(roles, rolePrefix+name) {
			p.Addf("limits.roles."+name, "no role %q in the policy (%s); roles are named without the %q prefix, one of: %s",
				rolePrefix+name, c.PoliciesDir, rolePrefix, strings.Join(trimmed(roles), ", "))
		}
	}
	for _, name := range sortedKeys(c.Limits.Users) {
		if !pol.HasUser(name) {
			p.Addf("limits.users."+name, "no user %q in the policy (%s); every rwarden user has a file users/NAME.csv", name, c.PoliciesDir)
		}
	}
}

func trimmed(roles []string) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = strings.TrimPrefix(r, rolePrefix)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func auditLimits(l Limits) *audit.Limits {
	return &audit.Limits{Wall: l.Wall, CPU: l.CPU, Memory: l.Memory, Output: l.Output}
}

// sandboxBusyPoll maps pool.busy_poll to the sandbox's setting: unset is
// the sandbox's default (0 there), 0s is off (negative there).
func sandboxBusyPoll(d *config.Duration) time.Duration {
	switch {
	case d == nil:
		return 0
	case d.Std() <= 0:
		return -1
	}
	return d.Std()
}
