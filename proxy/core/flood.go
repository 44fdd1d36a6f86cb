package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

// floodAudit keeps a flood of refusals (rate-limited logins, requests
// refused by the request limits) from filling the audit disk, which would
// stop the service for everyone (a full trail fails closed). Per key (a
// source address, a user, an anonymous user's address) the first `full`
// refusals of a window are recorded in full; the rest are only counted,
// and one summary record with the counts is written when the window ends.
type floodAudit struct {
	c       *Core
	full    int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*floodEntry
}

// floodEntry is one key's window.
type floodEntry struct {
	start       time.Time
	full        int // recorded in full in this window
	suppressed  int // counted only
	first, last time.Time
	by          map[string]int // suppressed refusals per user or address
	summary     *audit.Record  // what the summary record says about the peer
	reason      string         // the last refusal's reason
	command     string         // detail.command of the refusals ("" when they differ)
	mixed       bool           // refusals of different commands
}

// Bounds on what a flood can make the aggregator hold.
const (
	floodMaxKeys    = 10_000
	floodMaxBy      = 16
	floodOverflow   = "(overflow)"
	floodOtherLabel = "(other)"
)

func newFloodAudit(c *Core, full int, window time.Duration) *floodAudit {
	d := config.DefaultThrottle().Audit
	if full <= 0 {
		full = d.FullRecords
	}
	if window <= 0 {
		window = d.Window.Std()
	}
	return &floodAudit{c: c, full: full, window: window, maxKeys: floodMaxKeys, now: time.Now,
		keys: map[string]*floodEntry{}}
}

// admit reports whether the refusal rec (of key, counted under `by`)
// is to be recorded in full; if not, it was counted for the summary.
func (f *floodAudit) admit(key, by string, rec *audit.Record) bool {
	now := f.now()
	f.mu.Lock()
	var ended *audit.Record
	defer func() {
		f.mu.Unlock()
		f.write(ended) // outside the lock: the trail may be slow
	}()
	e := f.keys[key]
	if e != nil && now.Sub(e.start) >= f.window {
		ended = f.endLocked(key, e)
		e = nil
	}
	if e == nil {
		if len(f.keys) >= f.maxKeys {
			// Too many distinct keys at once: everything new shares one
			// entry with no full records, so the trail stays bounded.
			key = floodOverflow
			if e = f.keys[key]; e == nil {
				e = &floodEntry{start: now, full: f.full, by: map[string]int{},
					summary: &audit.Record{Event: rec.Event, Status: rec.Status, Protocol: rec.Protocol}}
				f.keys[key] = e
			}
		} else {
			e = &floodEntry{start: now, by: map[string]int{}, summary: summaryOf(rec)}
			f.keys[key] = e
		}
	}
	if e.full < f.full {
		e.full++
		return true
	}
	if e.suppressed == 0 {
		e.first = now
	}
	if cmd := rec.Detail["command"]; e.suppressed == 0 {
		e.command = cmd
	} else if cmd != e.command {
		e.mixed = true
	}
	if e.suppressed == 0 {
		e.summary = summaryOf(rec)
	} else {
		e.merge(rec)
	}
	e.suppressed++
	e.last = now
	e.reason = rec.Error
	if by = clip(by, 64); len(e.by) < floodMaxBy || e.by[by] > 0 {
		e.by[by]++
	} else {
		e.by[floodOtherLabel]++
	}
	return false
}

// merge keeps in the summary only what rec shares with the refusals
// counted before: a field that differs is left out (a remote that differs
// only in its port becomes the address without port).
func (e *floodEntry) merge(rec *audit.Record) {
	s := e.summary
	same := func(field *string, v string) {
		if *field != v {
			*field = ""
		}
	}
	same(&s.User, rec.User)
	same(&s.AuthMethod, rec.AuthMethod)
	same(&s.Listener, rec.Listener)
	same(&s.Protocol, rec.Protocol)
	if s.Remote != rec.Remote {
		if a := auth.AddrKey(rec.Remote); a != "" && a == auth.AddrKey(s.Remote) {
			s.Remote = a
		} else {
			s.Remote = ""
		}
	}
}

// summaryOf keeps what every refusal under one key shares.
func summaryOf(rec *audit.Record) *audit.Record {
	return &audit.Record{Event: rec.Event, Status: rec.Status, User: rec.User, AuthMethod: rec.AuthMethod,
		Remote: rec.Remote, Listener: rec.Listener, Protocol: rec.Protocol}
}

// run writes the summaries of ended windows until ctx ends.
func (f *floodAudit) run(ctx context.Context) {
	tick := time.NewTicker(min(max(f.window/10, 100*time.Millisecond), time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			f.flush(false)
		}
	}
}

// flush writes the summaries of ended windows (all windows when all is
// set, at shutdown) and forgets them.
func (f *floodAudit) flush(all bool) {
	now := f.now()
	var ended []*audit.Record
	f.mu.Lock()
	for key, e := range f.keys {
		if all || now.Sub(e.start) >= f.window {
			if rec := f.endLocked(key, e); rec != nil {
				ended = append(ended, rec)
			}
		}
	}
	f.mu.Unlock()
	for _, rec := range ended {
		f.write(rec)
	}
}

// endLocked forgets key's window and returns its summary record, nil when
// nothing was counted.
func (f *floodAudit) endLocked(key string, e *floodEntry) *audit.Record {
	delete(f.keys, key)
	if e.suppressed == 0 {
		return nil
	}
	rec := *e.summary
	rec.Error = e.reason
	rec.Detail = map[string]string{
		"aggregated": strconv.Itoa(e.suppressed),
		"first":      e.first.UTC().Format(time.RFC3339Nano),
		"last":       e.last.UTC().Format(time.RFC3339Nano),
		"counts":     formatCounts(e.by),
	}
	if e.command != "" && !e.mixed {
		rec.Detail["command"] = e.command
	}
	if key == floodOverflow {
		rec.Detail["overflow"] = "true"
	}
	return &rec
}

// write records a summary (nil: nothing to record).
func (f *floodAudit) write(rec *audit.Record) {
	if rec == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.c.audit.Append(ctx, rec); err != nil {
		f.c.log.Error("AUDIT WRITE FAILED: summary of refusals not recorded", "count", rec.Detail["aggregated"], "err", err)
	}
	f.c.metrics.floodSummaries.Inc()
	f.c.log.Info("refusals aggregated", "event", rec.Event, "remote", rec.Remote, "user", rec.User,
		"count", rec.Detail["aggregated"], "counts", rec.Detail["counts"])
}

// formatCounts renders per-name counts as `"alice"=12 "bob"=3`, sorted by
// name, each name quoted (it may be any client-sent string).
func formatCounts(by map[string]int) string {
	names := slices.Sorted(maps.Keys(by))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", strconv.Quote(n), by[n])
	}
	return strings.Join(parts, " ")
}
