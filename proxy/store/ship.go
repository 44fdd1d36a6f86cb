package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditSource is a node's local hash-chained audit trail, the record of
// truth that shipping copies from.
type AuditSource interface {
	// HeadSeq is the seq of the newest record written.
	HeadSeq() uint64
	// After calls fn for each record with seq > after, in chain order,
	// with its canonical line; fn's error stops the reading.
	After(after uint64, fn func(seq uint64, line []byte) error) error
}

// Shipping pace: a batch at most every shipEvery, of at most shipBatch
// records. The backlog is never held in memory: it is the local files,
// read from the last seq the store has for this node, so a node that was
// cut off (or restarted) resumes where the store stops.
const (
	shipEvery = 250 * time.Millisecond
	shipBatch = 500
)

// Shipper copies a node's audit records to the store's rwarden_audit
// table, asynchronously: the local chain is written first and never waits
// for it.
type Shipper struct {
	dsn      string
	node     string
	src      AuditSource
	log      *slog.Logger
	instance string        // application_name of its sessions (claim.go)
	wait     time.Duration // ClaimWait; shorter in tests

	mu      sync.Mutex // one shipping pass at a time
	conn    *pgx.Conn
	shipped uint64 // the store's newest seq of this node, when known
	known   bool
	lastErr error
	// otherSince is when another process was first found holding the
	// name, zero while it is not.
	otherSince time.Time
	// conflict, once set, stops shipping for this process's life: another
	// live node held the name for longer than wait, so the store's
	// records under it are not this node's alone.
	conflict atomic.Pointer[error]
	// backlog is kept apart from mu, so that /metrics never waits for a
	// shipping pass: the store's newest seq, -1 while unknown.
	stored atomic.Int64
}

// NewShipper ships src's records under the name node.
func NewShipper(dsn, node string, src AuditSource, log *slog.Logger) *Shipper {
	if log == nil {
		log = slog.Default()
	}
	s := &Shipper{dsn: dsn, node: node, src: src, log: log.With("component", "audit-shipping"),
		instance: instanceName(node), wait: ClaimWait}
	s.stored.Store(-1)
	return s
}

// Run ships until ctx ends.
func (s *Shipper) Run(ctx context.Context) {
	tk := time.NewTicker(shipEvery)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			_ = s.Ship(ctx)
		}
	}
}

// Backlog is how many local records the store does not have yet (as far
// as known); for the metric.
func (s *Shipper) Backlog() uint64 {
	head, stored := s.src.HeadSeq(), s.stored.Load()
	if stored < 0 || head < uint64(stored) {
		return head
	}
	return head - uint64(stored)
}

// Ship sends everything the store lacks, in batches; it returns the first
// error (the store unreachable), after which the next call resumes.
func (s *Shipper) Ship(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.ship(ctx)
	if err != nil {
		if errors.Is(err, ErrNodeNameInUse) || errors.Is(err, ErrTrailDiverged) {
			if s.lastErr == nil || s.lastErr.Error() != err.Error() {
				s.log.Error("audit shipping stopped for good; the local trail is complete", "err", err)
			}
		} else if s.lastErr == nil {
			s.log.Warn("audit shipping paused; the local trail is complete and shipping resumes from it", "err", err)
		}
		if s.conn != nil {
			s.conn.Close(context.Background())
			s.conn = nil
		}
		s.known = false
		s.stored.Store(-1)
	} else if s.lastErr != nil {
		s.log.Info("audit shipping resumed", "shipped_seq", s.shipped)
	}
	s.lastErr = err
	return err
}

func (s *Shipper) ship(ctx context.Context) error {
	if s.known && s.src.HeadSeq() <= s.shipped {
		return nil
	}
	if err := s.connectClaimed(ctx); err != nil {
		return err
	}
	if !s.known {
		qctx, cancel := context.WithTimeout(ctx, connectTimeout)
		var max int64
		err := s.conn.QueryRow(qctx, `SELECT coalesce(max(seq), 0) FROM rwarden_audit WHERE node = $1`, s.node).Scan(&max)
		cancel()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		if max > 0 {
			if err := s.checkContinues(ctx, uint64(max)); errors.Is(err, ErrTrailDiverged) {
				s.conflict.Store(&err)
				return err
			} else if err != nil {
				return err
			}
		}
		s.shipped, s.known = uint64(max), true
		s.stored.Store(max)
	}
	for s.src.HeadSeq() > s.shipped {
		var rows []shipRow
		errFull := errors.New("batch full")
		err := s.src.After(s.shipped, func(seq uint64, line []byte) error {
			r, err := parseShipRow(seq, line)
			if err != nil {
				return err
			}
			rows = append(rows, r)
			if len(rows) >= shipBatch {
				return errFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFull) {
			return fmt.Errorf("reading the local audit trail: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		if err := s.insert(ctx, rows); err != nil {
			return err
		}
		s.shipped = rows[len(rows)-1].seq
		s.stored.Store(int64(s.shipped))
	}
	return nil
}

func (s *Shipper) insert(ctx context.Context, rows []shipRow) error {
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := pgx.BeginFunc(ictx, s.conn, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rows {
			// A record already there (shipped before a crash of the
			// shipper) is the same record: the pair (node, seq) names it.
			b.Queue(`INSERT INTO rwarden_audit (node, seq, time, event, user_name, policy_version, line)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (node, seq) DO NOTHING`,
				s.node, int64(r.seq), r.time, r.event, r.user, r.policyVersion, r.line)
		}
		return tx.SendBatch(ictx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("%w: shipping audit records: %v", ErrUnreachable, err)
	}
	return nil
}

type shipRow struct {
	seq           uint64
	time          time.Time
	event, user   string
	policyVersion int64
	line          string
}

// parseShipRow takes the columns the store indexes from a canonical line
// (the audit package wrote and checked it; the line itself is stored
// verbatim so that the chain can be verified from the store).
func parseShipRow(seq uint64, line []byte) (shipRow, error) {
	var f struct {
		Time          time.Time `json:"time"`
		Seq           uint64    `json:"seq"`
		Event         string    `json:"event"`
		User          string    `json:"user"`
		PolicyVersion int64     `json:"policy_version"`
	}
	if err := json.Unmarshal(line, &f); err != nil {
		return shipRow{}, fmt.Errorf("audit record %d: %w", seq, err)
	}
	if f.Seq != seq {
		return shipRow{}, fmt.Errorf("audit record %d: line says seq %d", seq, f.Seq)
	}
	return shipRow{seq: seq, time: f.Time, event: f.Event, user: f.User, policyVersion: f.PolicyVersion, line: string(line)}, nil
}
