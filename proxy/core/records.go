package core

import (
	"context"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// newRecord assembles an audit record about a peer (and, when known, its
// identity and session): the one place records get their who and where.
func newRecord(event string, peer Peer, id *Identity, session string) *audit.Record {
	rec := &audit.Record{Event: event, Session: session,
		Remote: peer.Remote, Listener: peer.Listener, Protocol: peer.Protocol}
	if id != nil {
		rec.User, rec.AuthMethod = id.User, string(id.Method)
	}
	return rec
}

// Refusal is a request rwarden refuses outright (a command it never runs,
// data it will not assign, a login on an insecure channel), for the audit
// trail.
type Refusal struct {
	Peer Peer
	// Identity and Session, when the client has them.
	Identity *Identity
	Session  *Session
	// What was refused (a command name such as "CMD_shutdown", "assign").
	What   string
	Reason string
}

// Refuse records an access_denied event (under a flood, through the
// flood aggregation). It returns the error of writing the record; a front
// end may end the connection on it (fail closed).
func (c *Core) Refuse(ctx context.Context, r Refusal) error {
	id, sid := r.Identity, ""
	if r.Session != nil {
		id, sid = &r.Session.id, r.Session.sid
	}
	rec := newRecord(audit.EventAccessDenied, r.Peer, id, sid)
	rec.Error = r.Reason
	rec.Detail = map[string]string{"command": r.What}
	// A refused command is a denial: it draws from the denial bucket of
	// the user (anonymous: of the user and address; before any identity:
	// of the address). Once that is empty, the records go through the
	// flood aggregation, so that repeating a refused command on one
	// connection cannot fill the audit disk.
	key := "address|" + auth.AddrKey(r.Peer.Remote)
	if id != nil {
		key = rateKeyOf(*id, r.Peer.Remote)
	}
	limited := c.requests.peek(key) != nil
	c.requests.denied(key)
	if limited && !c.flood.admit("refuse|"+key, r.What, rec) {
		c.log.Debug("request refused", "remote", r.Peer.Remote, "user", rec.User, "command", r.What, "reason", r.Reason)
		return nil
	}
	c.log.Info("request refused", "remote", r.Peer.Remote, "user", rec.User, "command", r.What, "reason", r.Reason)
	if err := c.audit.Append(ctx, rec); err != nil {
		c.log.Error("AUDIT WRITE FAILED: access_denied not recorded", "err", err)
		return err
	}
	return nil
}
