package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policy"
)

// The admin API's view of the core: who may use it, the open sessions, the
// users and roles, the policy reload status and the audit chain head. The
// HTTP side lives in proxy/admin; every admin action is audited here.

// AdminCredentials is what an admin API request presents: a verified
// client certificate (Peer.TLS), or an API token (`rwarden token create`)
// of an admin user as Token, checked like a bearer login (rate-limited per
// address and token).
type AdminCredentials struct {
	Peer  Peer
	Token string
}

// ErrNotAdmin is returned (wrapped) when a request's identity is not an
// admin user.
var ErrNotAdmin = errors.New("not an administrator")

// AuthorizeAdmin decides whether a request may use the admin API: its
// verified client certificate must name an rwarden user whose policy holds
// the configured admin role (admin.role). A refusal is audited (under a
// flood, through the flood aggregation) and returned as an *AuthError.
func (c *Core) AuthorizeAdmin(ctx context.Context, cr AdminCredentials, action string) (Identity, error) {
	id, err := c.adminIdentity(ctx, cr)
	if err == nil {
		return id, nil
	}
	var af *AuthError
	if !errors.As(err, &af) {
		af = &AuthError{Message: "not authorized", Reason: err.Error()}
	}
	rec := newRecord(audit.EventAdmin, cr.Peer, &id, "")
	rec.Status = audit.StatusFailure
	rec.Error = af.Reason
	rec.Detail = map[string]string{"action": action}
	c.metrics.auth.WithLabelValues("admin", "failure").Inc()
	if !c.flood.admit("admin|"+auth.AddrKey(cr.Peer.Remote), id.User, rec) {
		return id, af
	}
	c.log.Warn("admin API request refused", "user", id.User, "remote", cr.Peer.Remote, "action", action, "reason", af.Reason)
	if aerr := c.audit.Append(ctx, rec); aerr != nil {
		c.log.Error("AUDIT WRITE FAILED: admin refusal not recorded", "err", aerr)
	}
	return id, af
}

func (c *Core) adminIdentity(ctx context.Context, cr AdminCredentials) (Identity, error) {
	var id Identity
	var err error
	switch {
	case cr.Token != "":
		if !auth.LooksLikeAPIToken(cr.Token) {
			return Identity{Method: auth.MethodToken}, &AuthError{Message: "the admin API takes rwarden API tokens only", Reason: "admin bearer token is not an API token"}
		}
		id, err = c.bearerIdentity(ctx, cr.Token, cr.Peer)
	case cr.Peer.TLS == nil || len(cr.Peer.TLS.PeerCertificates) == 0:
		return Identity{}, &AuthError{Message: "the admin API needs a client certificate or an API token of an admin user", Reason: "no client certificate or token"}
	default:
		id, _, err = c.certIdentity(cr.Peer)
	}
	if err != nil {
		return id, err
	}
	role := c.cfg.Admin.Role
	if !slices.Contains(c.policy.Roles(id.User), role) {
		return id, &AuthError{Message: "not an administrator: the admin API needs " + role,
			Reason: fmt.Sprintf("%v: user %s lacks %s", ErrNotAdmin, id.User, role)}
	}
	return id, nil
}

// RecordAdmin audits a successful admin action by id (fail closed: the
// caller must not act, or must report failure, when it returns an error).
func (c *Core) RecordAdmin(ctx context.Context, id Identity, peer Peer, action string, detail map[string]string) error {
	rec := newRecord(audit.EventAdmin, peer, &id, "")
	rec.Status = audit.StatusSuccess
	rec.Detail = map[string]string{"action": action}
	for k, v := range detail {
		rec.Detail[k] = clip(v, 1024)
	}
	if err := c.audit.Write(ctx, rec); err != nil {
		c.log.Error("AUDIT WRITE FAILED: admin action refused", "action", action, "err", err)
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	return nil
}

// SessionInfo describes one open session for the admin API.
type SessionInfo struct {
	ID          string    `json:"id"`
	User        string    `json:"user"`
	AuthMethod  string    `json:"auth_method"`
	Remote      string    `json:"remote"`
	Listener    string    `json:"listener"`
	Protocol    string    `json:"protocol"`
	Started     time.Time `json:"started"`
	AgeSeconds  float64   `json:"age_seconds"`
	Worker      bool      `json:"worker"` // holds an R worker now
	CPUSeconds  float64   `json:"cpu_seconds"`
	MemoryBytes int64     `json:"memory_bytes"`
	// LastEval is when its last evaluation finished (nil: none yet).
	LastEval *time.Time `json:"last_eval,omitempty"`
}

// Sessions lists the open sessions, oldest first. CPU is read from /proc
// now; memory is the memory budget's last sample (at most half a second
// old).
func (c *Core) Sessions() []SessionInfo {
	var out []SessionInfo
	now := time.Now()
	c.live.Range(func(_, v any) bool {
		s := v.(*Session)
		info := SessionInfo{ID: s.sid, User: s.id.User, AuthMethod: string(s.id.Method), Remote: s.peer.Remote,
			Listener: s.peer.Listener, Protocol: s.peer.Protocol, Started: s.started, AgeSeconds: now.Sub(s.started).Seconds()}
		if ns := s.lastEval.Load(); ns != 0 {
			t := time.Unix(0, ns)
			info.LastEval = &t
		}
		if w, use := c.budget.workerOf(s); w != nil {
			info.Worker, info.MemoryBytes = true, use
			if cpu, err := w.CPUTime(); err == nil {
				info.CPUSeconds = cpu.Seconds()
			}
		}
		out = append(out, info)
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// ErrNoSession is returned by EndSession for an id that is not open.
var ErrNoSession = errors.New("no such session")

// EndSession ends an open session on an operator's request: its worker is
// killed at once (a running evaluation ends as killed, its client told
// why), every later request of its client is refused with the reason, and
// the session is closed (its end record carries the reason) as soon as a
// running evaluation has returned. The action is audited before anything
// is done.
func (c *Core) EndSession(ctx context.Context, by Identity, peer Peer, sid, reason string) error {
	v, ok := c.live.Load(sid)
	if !ok {
		if err := c.RecordAdmin(ctx, by, peer, "end_session", map[string]string{"session": sid, "result": "no such session"}); err != nil {
			return err
		}
		return fmt.Errorf("%w: %q", ErrNoSession, clip(sid, 64))
	}
	s := v.(*Session)
	why := "ended by administrator " + by.User
	if reason = strings.TrimSpace(reason); reason != "" {
		why += ": " + clip(reason, 512)
	}
	if err := c.RecordAdmin(ctx, by, peer, "end_session", map[string]string{
		"session": s.sid, "session_user": s.id.User, "reason": why}); err != nil {
		return err
	}
	if !s.ended.CompareAndSwap(nil, &why) {
		return nil // already ended
	}
	c.log.Info("session ended by an administrator", "session", s.sid, "user", s.id.User, "admin", by.User, "reason", why)
	if w, _ := c.budget.workerOf(s); w != nil {
		w.Kill("ended by an administrator")
	}
	// Close waits for a running evaluation to return (it holds s.mu).
	go s.closeWith(why)
	return nil
}

// endedErr is the error of a session an operator ended, nil otherwise.
func (s *Session) endedErr() error {
	if why := s.ended.Load(); why != nil {
		return fmt.Errorf("this session was %s", *why)
	}
	return nil
}

// endedOutcome rewrites the result of an evaluation whose worker an
// operator killed: the client learns why instead of a crash report.
func (s *Session) endedOutcome(res *Result) {
	if err := s.endedErr(); err != nil {
		res.Status = StatusKilled
		res.Error = "Error: " + err.Error() + "\n"
	}
}

// UserInfo is one user for the admin API.
type UserInfo struct {
	User string `json:"user"`
	// Roles are the user's direct and inherited roles (none: no policy).
	Roles []string `json:"roles"`
	// Policy: the user has a policy file; Password: an entry in the users
	// file. A login needs a policy.
	Policy   bool `json:"policy"`
	Password bool `json:"password"`
	Sessions int  `json:"sessions"`
}

// Users lists the users of the policy and of the users file, by name.
func (c *Core) Users() []UserInfo {
	byName := map[string]*UserInfo{}
	get := func(u string) *UserInfo {
		if byName[u] == nil {
			byName[u] = &UserInfo{User: u, Roles: []string{}}
		}
		return byName[u]
	}
	for _, u := range c.policy.Users() {
		ui := get(u)
		ui.Policy = true
		ui.Roles = append(ui.Roles, c.policy.Roles(u)...)
	}
	for _, u := range c.users.Users() {
		get(u).Password = true
	}
	c.live.Range(func(_, v any) bool {
		get(v.(*Session).id.User).Sessions++
		return true
	})
	out := make([]UserInfo, 0, len(byName))
	for _, ui := range byName {
		out = append(out, *ui)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// PolicyStatus is the policy reload status for the admin API.
type PolicyStatus struct {
	Dir string `json:"dir"`
	// Generation counts the policies brought into force since start (1:
	// the one loaded at start).
	Generation int       `json:"generation"`
	LoadedAt   time.Time `json:"loaded_at"`
	// LastReload is the last reload attempt (nil: none since start).
	LastReload *ReloadInfo `json:"last_reload,omitempty"`
	Rejected   int         `json:"rejected"`
	Warnings   []string    `json:"warnings"`
	Roles      []string    `json:"roles"`
}

// ReloadInfo is one reload attempt.
type ReloadInfo struct {
	Time  time.Time `json:"time"`
	OK    bool      `json:"ok"`
	File  string    `json:"file,omitempty"`
	Line  int       `json:"line,omitempty"`
	Error string    `json:"error,omitempty"`
}

// reloadStatus remembers policy reloads for PolicyStatus.
type reloadStatus struct {
	mu         sync.Mutex
	generation int
	loadedAt   time.Time
	last       *ReloadInfo
	rejected   int
}

func (r *reloadStatus) note(ev policy.ReloadEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := &ReloadInfo{Time: ev.Time, OK: ev.OK, File: ev.File, Line: ev.Line}
	if ev.Err != nil {
		info.Error = ev.Err.Error()
	}
	if info.Time.IsZero() {
		info.Time = time.Now()
	}
	r.last = info
	if ev.OK {
		r.generation++
		r.loadedAt = info.Time
	} else {
		r.rejected++
	}
}

// PolicyStatus reports the policy in force and the last reload.
func (c *Core) PolicyStatus() PolicyStatus {
	c.reloads.mu.Lock()
	st := PolicyStatus{Dir: c.cfg.PoliciesDir, Generation: c.reloads.generation + 1, LoadedAt: c.reloads.loadedAt,
		Rejected: c.reloads.rejected, Warnings: []string{}, Roles: c.policy.RoleNames()}
	if c.reloads.last != nil {
		last := *c.reloads.last
		st.LastReload = &last
	}
	c.reloads.mu.Unlock()
	if st.LoadedAt.IsZero() {
		st.LoadedAt = c.openedAt
	}
	for _, w := range c.policy.Warnings() {
		st.Warnings = append(st.Warnings, w.String())
	}
	return st
}

// AuditHead is the audit chain's head: the last record's sequence number
// and hash (keep it to detect a cut tail).
type AuditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
	File string `json:"file"`
}

// AuditHead reports the head of the audit chain.
func (c *Core) AuditHead() AuditHead {
	seq, hash := c.audit.Head()
	return AuditHead{Seq: seq, Hash: hash, File: c.cfg.Audit.File}
}
