package core

import (
	"fmt"
	"slices"
	"time"

	"github.com/rwarden/rwarden/audit"
)

// AdminRole is the policy role whose users may read the audit trail
// through a front end (the HTTP console's audit view).
const AdminRole = "role:admin"

// IsAdmin reports whether the policy gives user the admin role.
func (c *Core) IsAdmin(user string) bool {
	return slices.Contains(c.policy.Roles(user), AdminRole)
}

// AuditQuery selects audit records for AuditPage.
type AuditQuery struct {
	User, Decision string
	Since          time.Time
	// Limit is how many of the newest matching records to return (1-1000).
	Limit int
}

// AuditRecord is one record of the audit trail.
type AuditRecord = audit.Record

// AuditPage is the newest records that match a query, and whether the
// hash chain of the whole trail verifies.
type AuditPage struct {
	Records []*AuditRecord
	// ChainOK is set when every record of every file verifies; otherwise
	// ChainBreak says where the first problem is.
	ChainOK    bool
	ChainBreak string
	Checked    int
}

// AuditPage reads the audit trail (rotated files, then the live one) for
// an admin. It reads and verifies every file on each call: meant for a
// person looking, not for polling at a high rate. The caller checks that
// the user is an admin.
func (c *Core) AuditPage(q AuditQuery) (*AuditPage, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, fmt.Errorf("audit page limit %d outside 1-1000", q.Limit)
	}
	files, err := audit.RotatedFiles(c.cfg.Audit.File)
	if err != nil {
		return nil, fmt.Errorf("listing audit files: %w", err)
	}
	files = append(files, c.cfg.Audit.File)
	var ring []*AuditRecord
	_, err = audit.Query(files, audit.Filter{User: q.User, Decision: q.Decision, Since: q.Since}, func(r *audit.Record) error {
		ring = append(ring, r)
		if len(ring) > q.Limit {
			ring = ring[1:]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	slices.Reverse(ring) // newest first
	page := &AuditPage{Records: ring}
	rep, err := audit.Verify(files)
	if err != nil {
		return nil, fmt.Errorf("verifying the audit trail: %w", err)
	}
	page.ChainOK, page.Checked = rep.OK(), rep.Records
	if !rep.OK() {
		page.ChainBreak = rep.Break.String()
	}
	return page, nil
}
