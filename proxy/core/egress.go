package core

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/egress"
	"github.com/rwarden/rwarden/sandbox"
)

// egressFor returns the destinations the user's roles are granted
// (egress.destinations); none by default.
func (c *Core) egressFor(user string) []config.EgressDestination {
	return c.cfg.EgressFor(c.policy.Roles(user))
}

// checkEgress refuses to start when destinations are configured but the
// pool cannot give workers egress sockets (not root): said at start, not
// as a failure of every granted user's first evaluation.
func (c *Core) checkEgress() error {
	if len(c.cfg.Egress.Destinations) == 0 {
		return nil
	}
	if err := c.pool.EgressAvailable(); err != nil {
		return fmt.Errorf("egress.destinations is configured: %w", err)
	}
	return nil
}

// startEgress opens one forwarder per granted destination on the session's
// fresh worker (bound with UnixSockets): a socket in the worker's view at
// $RWARDEN_EGRESS/<name>/<file>, forwarded to the configured host:port
// only. On error none stays open.
func (s *Session) startEgress(w *sandbox.Session, dests []config.EgressDestination) error {
	e := s.c.cfg.Egress
	dial := e.DialTimeout.Std()
	if dial <= 0 {
		dial = config.DefaultEgressDialTimeout.Std()
	}
	maxConns := e.MaxConnections
	if maxConns <= 0 {
		maxConns = config.DefaultEgressMaxConnections
	}
	for _, d := range dests {
		ln, path, err := w.ListenUnix(d.Name, d.SocketFile())
		if err != nil {
			s.stopEgress()
			return fmt.Errorf("egress %s: %w", d.Name, err)
		}
		s.egress = append(s.egress, egress.Serve(ln, egress.Destination{Name: d.Name, Address: d.To},
			egress.Options{DialTimeout: dial, MaxConns: maxConns, OnEvent: s.recordEgress}))
		s.c.log.Debug("egress socket ready", "session", s.sid, "user", s.id.User, "destination", d.Name, "path", path)
	}
	return nil
}

// stopEgress ends the session's forwarders and their connections; each
// open connection's close is recorded before it returns.
func (s *Session) stopEgress() {
	for _, f := range s.egress {
		f.Close()
	}
	s.egress = nil
}

// recordEgress writes one egress event to the audit trail. The error of a
// connect record makes the forwarder drop that connection (fail closed).
// A quiet connect (beyond the forwarder's detailed connections of the
// minute) is not written: it is counted in a later summary record, and is
// forwarded only while the trail is healthy.
func (s *Session) recordEgress(ev egress.Event) error {
	if ev.Kind == egress.EventConnect && ev.Quiet {
		if err := s.c.audit.Healthy(); err != nil {
			s.c.log.Error("AUDIT UNAVAILABLE: egress connection not forwarded", "session", s.sid, "err", err)
			return err
		}
		return nil
	}
	rec := s.record(audit.EventEgress)
	rec.Status = ev.Kind
	rec.Detail = map[string]string{
		"destination": ev.Destination.Name,
		"address":     ev.Destination.Address,
		"conn":        strconv.FormatInt(ev.Conn, 10),
	}
	if ev.Kind == egress.EventSummary {
		// The connections beyond the detailed ones: count, bytes, failures.
		rec.Detail["connections"] = strconv.FormatInt(ev.Conns, 10)
		rec.Detail["failed"] = strconv.FormatInt(ev.Failed, 10)
		delete(rec.Detail, "conn")
	}
	if ev.Kind == egress.EventClose || ev.Kind == egress.EventSummary {
		rec.Detail["sent"] = strconv.FormatInt(ev.Sent, 10)
		rec.Detail["received"] = strconv.FormatInt(ev.Received, 10)
		rec.Duration = ev.Duration
	}
	if ev.Kind == egress.EventRefused && ev.Refused > 1 {
		// Refusals in a loop are recorded once a second with their count.
		rec.Detail["aggregated"] = strconv.FormatInt(ev.Refused, 10)
	}
	if ev.Err != nil {
		rec.Error = ev.Err.Error()
	}
	s.c.log.Info("egress", "session", s.sid, "user", s.id.User, "event", ev.Kind, "destination", ev.Destination.Name,
		"address", ev.Destination.Address, "sent", ev.Sent, "received", ev.Received, "err", ev.Err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.c.audit.Append(ctx, rec); err != nil {
		s.c.log.Error("AUDIT WRITE FAILED: egress event not recorded", "session", s.sid, "event", ev.Kind, "err", err)
		return err
	}
	return nil
}
