package core

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/policy"
)

// The shared store (proxy/store) keeps this node's users file, tokens file
// and policy directory at one policy version; these are the core's side
// of it: the version every audit record carries, applying a new version,
// and the store's health in /healthz and the metrics.

// SetPolicyVersion sets the policy version in force (at start, from the
// store's version the server opened with).
func (c *Core) SetPolicyVersion(v int64) { c.policyVersion.Store(v) }

// PolicyVersion is the policy version in force; 0 without a store.
func (c *Core) PolicyVersion() int64 { return c.policyVersion.Load() }

// ApplyStoreVersion makes version v (written under the store directory,
// which still points at the version in force) the one in force: point(v)
// switches the directory, then the users file, the policy and the tokens
// file are reloaded from it, and the version set, all under the lock that
// every policy check holds too, and with versionGen odd meanwhile, so
// that a login decided while a version is applied is decided again
// (consistently). So every decision is made with exactly one version's
// users, tokens and policy, and recorded with that version's number.
//
// A version is applied whole or not at all: when its users file or its
// policy does not load, the directory is pointed back (point(previous))
// and what was already reloaded is reloaded from there, before anyone
// can see it. A tokens file that does not load refuses every token (the
// tokens package's fail-closed state) and is reported.
//
// The reload's bookkeeping (its audit record, warm-up of workers for the
// new allowlists) runs after it, in order, on its own goroutine: under
// load the record's durable write can take longer than the second a
// change has to reach every node, and the next version must not wait for
// it.
func (c *Core) ApplyStoreVersion(v int64, point func(int64) error) error {
	c.versionMu.Lock()
	c.versionGen.Add(1)
	prev := c.policyVersion.Load()
	usersErr, policyErr, tokensErr := c.switchVersion(v, prev, point)
	c.versionGen.Add(1)
	c.versionMu.Unlock()

	what := fmt.Sprintf("store version %d", v)
	if usersErr != nil || policyErr == nil {
		c.NoteFileReload("users", what, usersErr)
	}
	if usersErr != nil {
		return fmt.Errorf("store version %d rejected, nothing of it applied: %w", v, usersErr)
	}
	ev := policy.ReloadEvent{Time: time.Now(), OK: policyErr == nil, File: what, Err: policyErr}
	var le *policy.LoadError
	if errors.As(policyErr, &le) {
		ev.Line = le.Line
	}
	if l := c.store.Load(); l != nil && l.notes != nil {
		select {
		case l.notes <- ev:
		default:
			c.onPolicyReload(ev) // a backlog of notes: slow down instead
		}
	} else {
		c.onPolicyReload(ev)
	}
	if policyErr != nil {
		return fmt.Errorf("store version %d rejected, nothing of it applied: %w", v, policyErr)
	}
	if tokensErr != nil {
		return fmt.Errorf("store version %d: tokens: %w", v, tokensErr)
	}
	return nil
}

// switchVersion is ApplyStoreVersion's part under the lock. The users
// file goes first: it is cheap to load and to load back, the policy is not.
func (c *Core) switchVersion(v, prev int64, point func(int64) error) (usersErr, policyErr, tokensErr error) {
	back := func() {
		if prev <= 0 {
			return
		}
		if err := point(prev); err != nil {
			c.log.Error("pointing the store directory back to the version in force failed", "version", prev, "err", err)
		}
	}
	if err := point(v); err != nil {
		back()
		return fmt.Errorf("switching to it: %w", err), nil, nil
	}
	if err := c.users.Reload(); err != nil {
		back()
		return err, nil, nil
	}
	if err := c.policy.Reload(); err != nil {
		back()
		if uerr := c.users.Reload(); uerr != nil {
			c.log.Error("reloading the users file of the version in force failed", "version", prev, "err", uerr)
		}
		// A token login that read the rejected version's file meanwhile
		// was decided again; this puts the version in force's back.
		_ = c.tokens.Refresh()
		return nil, err, nil
	}
	c.policyVersion.Store(v)
	if err := c.tokens.Refresh(); err != nil {
		return nil, nil, err
	}
	return nil, nil, nil
}

// waitForApply returns once no store version is being applied: the
// writer holds versionMu for the whole apply.
func (c *Core) waitForApply() {
	c.versionMu.RLock()
	_ = c.policyVersion.Load() // nothing to do under the lock but to have had it
	c.versionMu.RUnlock()
}

// consistentDecision runs decide (a login's reads of the users or tokens
// file and of the policy) until it ran while no store version was being
// applied and none was applied meanwhile, so that it read one version of
// each; it waits for an apply in progress. It reports false when decide
// was overtaken three times (a version a moment; the login is refused).
func (c *Core) consistentDecision(decide func()) bool {
	for range 3 {
		g := c.versionGen.Load()
		if g%2 == 1 {
			c.waitForApply()
			continue
		}
		decide()
		if c.versionGen.Load() == g {
			return true
		}
	}
	return false
}

// checkPolicy runs the policy check of user's code and returns the
// version that decided it.
func (c *Core) checkPolicy(user string, code []byte) (*policy.Decision, int64, error) {
	c.versionMu.RLock()
	defer c.versionMu.RUnlock()
	dec, err := c.policy.Check(user, code)
	return dec, c.policyVersion.Load(), err
}

// StoreLink is what the server's store node reports.
type StoreLink struct {
	// Health is nil while the store is reachable.
	Health func() error
	// Conflict is nil unless another live node holds this node's name in
	// the store, which stops its audit shipping for good (may be nil).
	Conflict func() error
	// ShipBacklog is the number of local audit records not yet shipped.
	ShipBacklog func() uint64
	// notes carries applied versions to their bookkeeping, in order.
	notes chan policy.ReloadEvent
}

// LinkStore reports the store's health in /healthz (degraded, still 200:
// the node serves with the version it has) and in the metrics.
func (c *Core) LinkStore(l StoreLink) {
	l.notes = make(chan policy.ReloadEvent, 64)
	go func() {
		for ev := range l.notes {
			c.onPolicyReload(ev)
		}
	}()
	c.store.Store(&l)
	up := func() float64 {
		if l.Health() == nil {
			return 1
		}
		return 0
	}
	c.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rwarden_store_up",
			Help: "1 while the shared store (PostgreSQL) is reachable; 0: serving the last policy version loaded, changes refused."}, up),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rwarden_policy_version",
			Help: "The shared store's policy version in force on this node."},
			func() float64 { return float64(c.policyVersion.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rwarden_audit_ship_backlog_records",
			Help: "Local audit records not yet shipped to the shared store."},
			func() float64 { return float64(l.ShipBacklog()) }),
	)
}

// storeProblem is the store's health for /healthz (nil: fine or no store).
func (c *Core) storeProblem() error {
	l := c.store.Load()
	if l == nil {
		return nil
	}
	if l.Conflict != nil {
		return errors.Join(l.Health(), l.Conflict())
	}
	return l.Health()
}

// AuditHeadSeq is the seq of the newest audit record written.
func (c *Core) AuditHeadSeq() uint64 {
	seq, _ := c.audit.Head()
	return seq
}

// errAuditAfterDone stops reading a file once its first record is known.
var errAuditAfterDone = errors.New("done")

// AuditAfter calls fn with each audit record with seq > after, in chain
// order, as its canonical line (no newline), from the rotated files and the
// live file. Files that end before after are skipped unread, so shipping
// a few new records does not re-read the whole trail. Unreadable lines stop
// it with an error: shipping must not skip over a break.
func (c *Core) AuditAfter(after uint64, fn func(seq uint64, line []byte) error) error {
	files, err := audit.RotatedFiles(c.cfg.Audit.File)
	if err != nil {
		return err
	}
	files, err = audit.SortByChain(append(files, c.cfg.Audit.File))
	if err != nil {
		return err
	}
	// Start at the newest file whose first record is at most after+1.
	start := 0
	for i := len(files) - 1; i >= 0; i-- {
		var first uint64
		_ = audit.ReadFiles(files[i:i+1], func(e audit.Entry) error {
			if e.Rec != nil {
				first = e.Rec.Seq
			}
			return errAuditAfterDone
		})
		if first != 0 && first <= after+1 {
			start = i
			break
		}
	}
	err = audit.ReadFiles(files[start:], func(e audit.Entry) error {
		if e.Err != nil {
			if strings.HasPrefix(e.Err.Error(), "truncated") {
				return errAuditAfterDone // a record being appended: the next pass takes it
			}
			return fmt.Errorf("%s:%d: %w", e.File, e.Line, e.Err)
		}
		if e.Rec.Seq <= after {
			return nil
		}
		return fn(e.Rec.Seq, audit.Encode(e.Rec))
	})
	if errors.Is(err, errAuditAfterDone) {
		return nil
	}
	return err
}
