package audit

import (
	"fmt"
	"golang.org/x/sys/unix"
	"strings"
	"time"
)

// run is the committer: it takes every queued record (up to a batch limit),
// appends them with one write and one fsync, and answers every waiter. Records
// that arrive during a commit form the next batch, so a slow fsync delays
// callers once per batch, not once per caller, and seq order is the order of
// the file. It also makes unsynced records durable when their interval is up,
// whoever wrote them.
func (l *Log) run() {
	defer close(l.done)
	for {
		l.mu.Lock()
		n, closed := len(l.queue), l.closed
		l.mu.Unlock()
		if n == 0 {
			if closed {
				return
			}
			l.waitOrSync()
			continue
		}
		if l.cfg.Fsync == FsyncBatch && !closed {
			l.gather(n)
		}
		l.commitMu.Lock()
		l.commit(l.take())
		if !l.unsyncedSince.IsZero() && time.Since(l.unsyncedSince) >= l.cfg.SyncInterval {
			l.syncNow()
		}
		l.commitMu.Unlock()
	}
}

// waitOrSync waits for records, making unsynced ones durable when their
// interval is up (FsyncInterval, and Append records under the other
// policies).
func (l *Log) waitOrSync() {
	l.commitMu.Lock()
	since := l.unsyncedSince
	l.commitMu.Unlock()
	if since.IsZero() {
		<-l.wake
		return
	}
	wait := l.cfg.SyncInterval - time.Since(since)
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-l.wake:
			// Records to write (the loop finds them in the queue); the
			// sync comes after them.
			return
		case <-t.C:
		}
	}
	l.commitMu.Lock()
	l.syncNow()
	l.commitMu.Unlock()
}

// syncNow makes what was written durable. A failure makes the log
// unhealthy, so that evaluations are refused (their records could not be
// made durable either), and the file is reopened before the next record.
func (l *Log) syncNow() {
	if l.file.f == nil {
		l.unsyncedSince = time.Time{}
		return
	}
	if err := unix.Fdatasync(int(l.file.f.Fd())); err != nil {
		l.logger.Error("AUDIT SYNC FAILED: records written but not durable; evaluations are refused until it works",
			"err", err, "chain_seq", l.seq)
		l.setHealth(fmt.Errorf("fdatasync: %w", err))
		l.file.closeQuietly()
		return
	}
	l.unsyncedSince = time.Time{}
	l.syncs.Add(1)
}

// gather is the extra of FsyncBatch: when the last batch showed concurrency,
// it waits until as many records are queued as that batch had, or until
// BatchDelay has passed, so that concurrent callers share one fsync instead
// of the first arrival triggering a commit of one record. A lone caller
// (last batch of one) gets no added delay.
func (l *Log) gather(n int) {
	target := l.lastBatch
	if target > maxBatchRecords {
		target = maxBatchRecords
	}
	if target <= 1 || n >= target {
		return
	}
	timer := time.NewTimer(l.cfg.BatchDelay)
	defer timer.Stop()
	for {
		select {
		case <-l.wake:
		case <-timer.C:
			return
		}
		l.mu.Lock()
		n, closed := len(l.queue), l.closed
		l.mu.Unlock()
		if n >= target || closed {
			return
		}
	}
}

// take removes up to one batch from the queue.
func (l *Log) take() []*request {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, bytes := 0, 0
	for n < len(l.queue) && n < maxBatchRecords && (n == 0 || bytes < maxBatchBytes) {
		r := &l.queue[n].rec
		bytes += 512 + len(r.Code) + len(r.Error)
		n++
	}
	batch := make([]*request, n)
	copy(batch, l.queue[:n])
	rest := copy(l.queue, l.queue[n:])
	for i := rest; i < len(l.queue); i++ {
		l.queue[i] = nil
	}
	l.queue = l.queue[:rest]
	return batch
}

func (l *Log) commit(batch []*request) {
	live := batch[:0]
	var probes []*request
	for _, req := range batch {
		switch {
		case req.probe:
			probes = append(probes, req)
		case req.ctx.Err() != nil:
			req.done <- fmt.Errorf("audit: %w (record not written)", req.ctx.Err())
		default:
			live = append(live, req)
		}
	}
	l.lastBatch = len(live)

	err := l.ensureOpen()
	now := time.Now()
	if err == nil && l.file.shouldRotate(now, &l.cfg) {
		var name string
		name, err = l.file.rotate(now)
		if err == nil {
			l.logger.Info("audit file rotated", "rotated_to", name, "seq", l.seq)
		}
	}
	if err == nil && len(probes) > 0 {
		err = l.file.reserve(64 << 10)
	}
	if err != nil {
		l.fail(append(live, probes...), err)
		return
	}
	for _, p := range probes {
		p.done <- nil
	}
	if len(live) == 0 {
		l.setHealth(nil)
		return
	}

	buf := l.buf[:0]
	seq, head := l.seq, l.head
	notesUsed := false
	accepted := live[:0]
	for _, req := range live {
		rec := &req.rec
		rec.Time = canonicalTime(time.Now())
		rec.Seq = seq + 1
		rec.PrevHash = head
		withNotes := !notesUsed && len(l.notes) > 0
		if withNotes {
			if rec.Detail == nil {
				rec.Detail = map[string]string{}
			}
			rec.Detail["recovered"] = strings.Join(l.notes, "; ")
		}
		start := len(buf)
		buf = seal(buf, rec)
		if len(buf)-start > MaxRecordBytes {
			buf = buf[:start]
			req.done <- fmt.Errorf("audit: record of %d bytes exceeds the limit of %d", len(buf)-start, MaxRecordBytes)
			continue
		}
		notesUsed = notesUsed || withNotes
		seq, head = rec.Seq, rec.Hash
		accepted = append(accepted, req)
	}
	l.buf = buf
	if cap(l.buf) > 1<<20 {
		l.buf = nil // do not keep a buffer grown by one huge batch
	}
	if len(accepted) == 0 {
		return
	}
	fsync := l.cfg.Fsync
	if allNoSync(accepted) || fsync == FsyncInterval {
		// Nobody waits on durability here: the next synced batch, or the
		// interval sync, covers these bytes.
		fsync = FsyncNever
	}
	if err := l.file.append(buf, fsync); err != nil {
		l.fail(accepted, err)
		return
	}
	l.commits.Add(1)
	if fsync == FsyncNever && l.cfg.Fsync != FsyncNever && l.unsyncedSince.IsZero() {
		l.unsyncedSince = time.Now()
	} else if fsync != FsyncNever {
		l.unsyncedSince = time.Time{}
	}
	if l.file.born.IsZero() {
		l.file.born = accepted[0].rec.Time
	}
	l.seq, l.head = seq, head
	if notesUsed {
		l.notes = nil
	}
	l.mu.Lock()
	if l.lastErr != nil {
		l.logger.Warn("audit writing works again; service resumes", "seq", seq)
	}
	l.lastErr = nil
	l.headSeq, l.headHash = seq, head
	l.mu.Unlock()
	for _, req := range accepted {
		req.done <- nil
	}
	if l.syslog != nil {
		l.syslog.send(buf)
	}
}

// fail answers every request with err and records it for Healthy. The chain
// head is unchanged, so the next successful record continues the chain.
func (l *Log) fail(reqs []*request, err error) {
	l.logger.Error("AUDIT WRITE FAILED: evaluations are refused until the audit file is writable again",
		"err", err, "records_refused", countRecords(reqs), "chain_seq", l.seq)
	l.setHealth(err)
	wrapped := fmt.Errorf("audit: %w", err)
	for _, req := range reqs {
		req.done <- wrapped
	}
}

func (l *Log) setHealth(err error) {
	l.mu.Lock()
	l.lastErr = err
	l.mu.Unlock()
}

func (l *Log) note(s string) { l.notes = append(l.notes, s) }

func countRecords(reqs []*request) int {
	n := 0
	for _, r := range reqs {
		if !r.probe {
			n++
		}
	}
	return n
}

// allNoSync reports whether no record of the batch asks to be durable.
func allNoSync(reqs []*request) bool {
	for _, r := range reqs {
		if !r.noSync {
			return false
		}
	}
	return true
}
