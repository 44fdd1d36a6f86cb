package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Timing of a node's link to the store.
const (
	// pollEvery is how long a node waits for a notification before it
	// checks the store itself (a missed notification, a dead connection).
	pollEvery = 2 * time.Second
	// retryEvery is the pause between attempts to reach the store again.
	retryEvery = time.Second
)

// Apply loads version v, already written under the node's Local directory,
// into the running server; an error means the previous version stays in
// force. The directory still points at the version in force: Apply calls
// point(v) to switch it, inside whatever makes the switch one step for
// the server (readers of the files, such as the tokens file, see the new
// version only from then), and point(previous) when it rejects v.
type Apply func(v int64, point func(int64) error) error

// Node keeps a server's local copy of the store current: it LISTENs for
// new versions, installs each under Local and applies it. When the store is
// unreachable the node keeps the version it has and reports degraded; when
// it is back the node catches up (LISTEN again, newest version loaded).
type Node struct {
	dsn   string
	local Local
	log   *slog.Logger
	apply Apply

	mu        sync.Mutex
	applied   int64 // newest version seen (applied or rejected)
	inForce   int64 // newest version applied: "current" points back to it when a later one is rejected
	downSince time.Time
	downErr   error
}

// NewNode makes a node for the store at dsn, writing versions under dir.
func NewNode(dsn, dir string, log *slog.Logger) *Node {
	if log == nil {
		log = slog.Default()
	}
	return &Node{dsn: dsn, local: Local{Dir: dir}, log: log.With("component", "store")}
}

// Local is the node's directory of versions.
func (n *Node) Local() Local { return n.local }

// Bootstrap installs the store's newest version before the server opens.
// An unreachable store is not fatal when a version was installed before
// (the node starts with it, degraded); with none it is, as there is
// nothing safe to serve.
func (n *Node) Bootstrap(ctx context.Context) (int64, error) {
	v, b, err := Latest(ctx, n.dsn)
	if err == nil {
		if err := n.local.Install(v, b, n.local.CurrentVersion()); err != nil {
			return 0, err
		}
		n.applied, n.inForce = v, v
		return v, nil
	}
	if have := n.local.CurrentVersion(); have > 0 && errors.Is(err, ErrUnreachable) {
		n.setDown(err)
		n.log.Error("store unreachable at start; serving the last version installed here", "version", have, "err", err)
		n.applied, n.inForce = have, have
		return have, nil
	}
	return 0, fmt.Errorf("loading from the store: %w", err)
}

// Run follows the store until ctx ends, calling apply for each new version.
func (n *Node) Run(ctx context.Context, apply Apply) {
	n.apply = apply
	for ctx.Err() == nil {
		err := n.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		n.setDown(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retryEvery):
		}
	}
}

// follow holds one connection: LISTEN, catch up, then wait for
// notifications. It returns when the connection fails.
func (n *Node) follow(ctx context.Context) error {
	conn, err := connect(ctx, n.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("%w: LISTEN: %v", ErrUnreachable, err)
	}
	for {
		// Catch up first: changes made while not listening.
		if err := n.catchUp(ctx, conn); err != nil {
			return err
		}
		n.setUp()
		wctx, cancel := context.WithTimeout(ctx, pollEvery)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil, errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// A notification, or time to check; several notifications
			// collapse into one read of the newest version.
		default:
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
	}
}

// catchUp installs and applies the newest version if it is newer than the
// one in force.
func (n *Node) catchUp(ctx context.Context, conn *pgx.Conn) error {
	qctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var newest int64
	if err := conn.QueryRow(qctx, `SELECT coalesce(max(version), 0) FROM rwarden_policy_versions`).Scan(&newest); err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	if newest <= n.Version() {
		return nil
	}
	t0 := time.Now()
	v, b, err := latest(qctx, conn)
	if err != nil {
		if conn.IsClosed() {
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		n.log.Error("policy version unusable; the previous one stays in force", "err", err)
		return nil
	}
	n.mu.Lock()
	inForce := n.inForce
	n.mu.Unlock()
	if err := n.local.Write(v, b, inForce); err != nil {
		n.log.Error("installing policy version failed; the previous one stays in force", "version", v, "err", err)
		return nil
	}
	t1 := time.Now()
	err = n.apply(v, n.local.Point)
	if err != nil {
		// Nothing of a rejected version stays: the loaders read through
		// "current" again at the next change or restart, so it points back
		// to the version in force (a restart then starts with that one).
		// Apply did so already; this is for an Apply that failed before.
		n.log.Error("policy version rejected; the previous one stays in force", "version", v, "in_force", inForce, "err", err)
		if inForce > 0 {
			if perr := n.local.Point(inForce); perr != nil {
				n.log.Error("pointing the store directory back to the version in force failed", "version", inForce, "err", perr)
			}
		}
	} else {
		n.log.Info("policy version in force", "version", v, "fetch_install", t1.Sub(t0).Round(time.Millisecond),
			"apply", time.Since(t1).Round(time.Millisecond))
	}
	// Recorded as seen even when rejected, so that a bad version is not
	// re-applied every poll; the next version is.
	n.mu.Lock()
	n.applied = v
	if err == nil {
		n.inForce = v
	}
	n.mu.Unlock()
	return nil
}

// Version is the newest version this node has applied (or rejected).
func (n *Node) Version() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.applied
}

func (n *Node) setDown(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.downErr == nil {
		n.downSince = time.Now()
		n.log.Error("store unreachable; serving the last version loaded, changes are refused", "version", n.applied, "err", err)
	}
	n.downErr = err
}

func (n *Node) setUp() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.downErr != nil {
		n.log.Info("store reachable again", "version", n.applied, "down_for", time.Since(n.downSince).Round(time.Millisecond))
	}
	n.downErr = nil
}

// Health is nil while the store is reachable; else why not, for /healthz.
func (n *Node) Health() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.downErr == nil {
		return nil
	}
	return fmt.Errorf("store unreachable since %s, serving policy version %d: %w",
		n.downSince.UTC().Format(time.RFC3339), n.applied, n.downErr)
}
