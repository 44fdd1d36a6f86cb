package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit log is closed")

// Log is the audit trail writer. It is safe for concurrent use. Whoever
// holds commitMu owns the file and the chain: the committer goroutine, which
// writes queued records in batches, or a writer that found nothing queued
// and commits its own record itself (see commitInline).
type Log struct {
	cfg    Config
	logger *slog.Logger
	wake   chan struct{} // cap 1: "the queue is not empty"
	done   chan struct{} // closed when the committer has exited

	mu       sync.Mutex
	commitMu sync.Mutex // see Log; never taken while holding mu
	queue    []*request
	closed   bool
	lastErr  error  // outcome of the last commit; nil when it succeeded
	headSeq  uint64 // snapshot of the chain head for Head
	headHash string

	// Guarded by commitMu (and owned by Open before the committer starts).
	file      fileSink
	seq       uint64
	head      string
	notes     []string // for the `recovered` detail of the next record
	lastBatch int
	// unsyncedSince is when records were first written without an fsync
	// since the last one (zero: all durable).
	unsyncedSince time.Time
	commits       atomic.Int64 // batches appended (one write, one fsync each); for benchmarks
	syncs         atomic.Int64 // interval syncs done; for tests
	buf           []byte
	syslog        *syslogSink
}

type request struct {
	ctx   context.Context
	rec   Record // the writer's own copy; returned filled in on success
	probe bool   // a health probe from Healthy, not a record
	// noSync: written to the file (so it survives a crash of rwarden) but
	// made durable only by the next synced batch, not fsynced for itself.
	noSync bool
	done   chan error
}

// Open opens (or creates) the audit file, recovers the chain head from its
// last complete record (or from the newest rotated file when the live one
// is empty), cuts away a torn last line left by a crash and notes that in
// the next record's `recovered` detail, and starts the committer.
func Open(cfg Config) (*Log, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	l := &Log{
		cfg:    cfg,
		logger: cfg.Logger.With("component", "audit", "file", cfg.File),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		file:   fileSink{path: cfg.File},
		head:   ZeroHash,
	}
	if err := os.MkdirAll(dirOf(cfg.File), 0o700); err != nil {
		return nil, fmt.Errorf("audit: creating directory of %s: %w", cfg.File, err)
	}
	if err := l.openInitial(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l.headSeq, l.headHash = l.seq, l.head
	if cfg.Syslog {
		s, err := newSyslogSink(l.logger)
		if err != nil {
			// Best effort by design: the file is the record of truth.
			l.logger.Warn("audit: syslog unavailable, writing to the file only", "err", err)
		} else {
			l.syslog = s
		}
	}
	l.logger.Info("audit log opened", "seq", l.seq, "head", l.head, "fsync", cfg.Fsync)
	go l.run()
	return l, nil
}

// Write appends r to the trail. It assigns time, seq, prev_hash and hash,
// enforces the configured code mode, and returns only when the record is
// written (and durable per Config.Fsync). On success r is updated to exactly
// what was written. On any error the caller must refuse the action it was
// recording (fail closed). If ctx ends first Write returns its error; the
// record may then still be written.
func (l *Log) Write(ctx context.Context, r *Record) error { return l.write(ctx, r, false) }

// Append is Write without waiting for an fsync of its own: the record is
// written to the file (so a crash of rwarden cannot lose it) and becomes
// durable against a host crash with the next synced record or batch. For
// records that no answer waits on (authentication, session start and end);
// an evaluation's record goes through Write. Errors are as for Write.
func (l *Log) Append(ctx context.Context, r *Record) error { return l.write(ctx, r, true) }

func (l *Log) write(ctx context.Context, r *Record, noSync bool) error {
	if r == nil {
		return errors.New("audit: nil record")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := r.validate(); err != nil {
		return err
	}
	req := &request{ctx: ctx, rec: r.clone(), done: make(chan error, 1), noSync: noSync}
	applyCodeMode(&req.rec, l.cfg.CodeMode)
	if req.rec.Node == "" {
		req.rec.Node = l.cfg.Node
	}
	if req.rec.PolicyVersion == 0 && l.cfg.PolicyVersion != nil {
		req.rec.PolicyVersion = l.cfg.PolicyVersion()
	}
	if inline, err := l.commitInline(req); inline || err != nil {
		if err == nil {
			err = <-req.done // answered by commit before commitInline returned
		}
		if err != nil {
			return err
		}
		*r = req.rec
		return nil
	}
	if err := l.enqueue(req); err != nil {
		return err
	}
	select {
	case err := <-req.done:
		if err != nil {
			return err
		}
		*r = req.rec
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: %w (the record may still be written)", ctx.Err())
	}
}

// Healthy returns nil when the last write succeeded. After a failure it asks
// the committer to reopen the file and check that space can be reserved, so
// that a health endpoint recovers when the sink does, even with no traffic.
func (l *Log) Healthy() error {
	l.mu.Lock()
	err, closed := l.lastErr, l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err == nil {
		return nil
	}
	req := &request{ctx: context.Background(), probe: true, done: make(chan error, 1)}
	if err := l.enqueue(req); err != nil {
		return err
	}
	select {
	case err := <-req.done:
		return err
	case <-time.After(5 * time.Second):
		return fmt.Errorf("audit: health probe timed out; last error: %w", err)
	}
}

// Head returns the sequence number and hash of the last committed record
// (0 and ZeroHash for an empty chain). Logging it at shutdown, or giving it
// to `rwarden audit verify --expect-last`, anchors the end of the chain.
func (l *Log) Head() (uint64, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.headSeq, l.headHash
}

// Close commits what is queued, closes the file and logs the chain head.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.signal()
	<-l.done
	l.commitMu.Lock() // a writer may still be committing inline
	err := l.file.close()
	l.commitMu.Unlock()
	if l.syslog != nil {
		l.syslog.close()
	}
	seq, head := l.Head()
	l.logger.Info("audit log closed; anchor the chain with this head", "seq", seq, "head", head)
	return err
}

// commitInline commits req in the caller's goroutine when it needs no fsync
// of its own, nothing is queued and no commit is under way: handing the
// record to the committer goroutine and waiting for it to be woken (and to
// wake the caller again) is most of the cost of such a record, and an
// evaluation's answer waits for it. Concurrent writers still meet in the
// queue and share the committer's batches. A record that waits for an fsync
// goes through the committer, so that its writer can give up on ctx while a
// slow disk syncs; so does everything under FsyncBatch (whose committer
// gathers batches) and with a syslog copy (which the committer sends after
// answering). It reports whether it committed req (the answer is then in
// req.done).
func (l *Log) commitInline(req *request) (bool, error) {
	ownSync := l.cfg.Fsync == FsyncAlways && !req.noSync
	if ownSync || l.cfg.Fsync == FsyncBatch || l.syslog != nil || !l.commitMu.TryLock() {
		return false, nil
	}
	defer l.commitMu.Unlock()
	l.mu.Lock()
	closed, queued := l.closed, len(l.queue)
	l.mu.Unlock()
	switch {
	case closed:
		return false, ErrClosed
	case queued > 0:
		return false, nil // the committer takes them, and this one after them
	}
	wasDurable := l.unsyncedSince.IsZero()
	l.commit([]*request{req})
	if wasDurable && !l.unsyncedSince.IsZero() {
		// The committer sleeps until woken and must now time the sync of
		// what was just written.
		l.signal()
	}
	return true, nil
}

func (l *Log) enqueue(req *request) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, req)
	l.mu.Unlock()
	l.signal()
	return nil
}

func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// clone copies r deeply enough that the caller may reuse its maps and
// slices while the committer works on the copy.
func (r *Record) clone() Record {
	c := *r
	if r.Violations != nil {
		c.Violations = append([]Violation(nil), r.Violations...)
	}
	if r.Limits != nil {
		lim := *r.Limits
		c.Limits = &lim
	}
	if r.Detail != nil {
		c.Detail = make(map[string]string, len(r.Detail)+1)
		for k, v := range r.Detail {
			c.Detail[k] = v
		}
	}
	return c
}
