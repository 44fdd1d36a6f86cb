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

// ApplyStoreVersion reloads the users file, the tokens file and the policy
// (already installed under the paths the core reads) as version v. The
// policy is swapped and the version set under one lock that every policy
// check holds too, so that each decision is recorded with the version that
// made it. On a rejected policy the previous one stays in force with its
// version. The reload's bookkeeping (its audit record, warm-up of workers
// for the new allowlists) runs after it, in order, on its own goroutine:
// under load the record's durable write can take longer than the second a
// change has to reach every node, and the next version must not wait
// for it.
func (c *Core) ApplyStoreVersion(v int64) error {
	// The policy first: a version whose policy does not load is rejected
	// whole, so that its users and tokens files do not come into force
	// either (the node then points its directory back to the version in
	// force).
	c.versionMu.Lock()
	err := c.policy.Reload()
	if err == nil {
		c.policyVersion.Store(v)
	}
	c.versionMu.Unlock()
	ev := policy.ReloadEvent{Time: time.Now(), OK: err == nil, File: fmt.Sprintf("store version %d", v), Err: err}
	var le *policy.LoadError
	if errors.As(err, &le) {
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
	if err != nil {
		return fmt.Errorf("store version %d rejected, nothing of it applied: %w", v, err)
	}
	var errs []error
	err = c.users.Reload()
	c.NoteFileReload("users", fmt.Sprintf("store version %d", v), err)
	if err != nil {
		errs = append(errs, err)
	}
	if err := c.tokens.Refresh(); err != nil {
		errs = append(errs, fmt.Errorf("tokens: %w", err))
	}
	return errors.Join(errs...)
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
