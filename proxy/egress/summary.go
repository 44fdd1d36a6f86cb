package egress

import "time"

// A connection is reported on its own (a connect and a close event) while
// its forwarder has reported fewer than Options.Detailed in the current
// minute; beyond that it is quiet: counted, with its bytes, in a summary
// event at most every summaryEvery, and in a last one at Close. A worker
// that connects in a loop thus cannot grow the audit trail faster than a
// fixed number of records a minute, and every connection is still in a
// close event or in exactly one summary.

// detailed reports whether a connection accepted at now gets events of its
// own, and counts it if so.
func (f *Forwarder) detailed(now time.Time) bool {
	f.sumMu.Lock()
	defer f.sumMu.Unlock()
	if now.Sub(f.winStart) >= detailWindow {
		f.winStart, f.winDetailed = now, 0
	}
	if f.winDetailed >= f.opts.Detailed {
		return false
	}
	f.winDetailed++
	return true
}

// closed reports a connection's end: its own close event, or for a quiet
// one its share of the next summary.
func (f *Forwarder) closed(ev Event, quiet bool) {
	if !quiet {
		_ = f.opts.OnEvent(ev)
		return
	}
	f.sumMu.Lock()
	f.sum.Conns++
	f.sum.Sent += ev.Sent
	f.sum.Received += ev.Received
	f.sum.Duration += ev.Duration
	if ev.Err != nil {
		f.sum.Failed++
		f.sum.Err = ev.Err
	}
	f.sumMu.Unlock()
	f.flushSummary(false)
}

// flushSummary reports the pending summary if summaryEvery has passed
// since the last one, or whatever the time when final (Close).
func (f *Forwarder) flushSummary(final bool) {
	f.sumMu.Lock()
	defer f.sumMu.Unlock()
	now := time.Now()
	if f.sum.Conns == 0 || (!final && now.Sub(f.sumLast) < summaryEvery) {
		return
	}
	f.sumLast = now
	ev := f.sum
	f.sum = Event{Kind: EventSummary, Destination: f.dest}
	// Called under sumMu so that summaries are reported in order; OnEvent
	// must not call back into the Forwarder.
	_ = f.opts.OnEvent(ev)
}
