package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A node's name is the first half of the store's audit key (node, seq):
// two live nodes shipping under one name would mix two chains under one
// key, and the store keeps whichever record came first. So a shipper
// claims its name before it ships: a session-level advisory lock keyed by
// the name, taken on the connection it ships on and held as long as that
// connection lives. PostgreSQL releases it when the connection ends,
// including when the node is killed (the kernel closes its socket) or its
// host dies (the server's TCP keepalives below end the session).

// ErrNodeNameInUse means another rwarden process connected to the store
// holds this node's name.
var ErrNodeNameInUse = errors.New("node name in use")

// ClaimWait is how long a holder of the name that is not this process is
// waited for before it counts as another live node: a node restarted
// after its host died can find its previous session still open until the
// server's keepalives (claimKeepalives: about 25 s) end it.
const ClaimWait = 30 * time.Second

// claimKeepalives makes the server notice a dead peer of the shipping
// session (a host that died without closing the connection) within about
// 10 + 3 * 5 seconds. These settings may be changed by any role.
var claimKeepalives = [][2]string{
	{"tcp_keepalives_idle", "10"},
	{"tcp_keepalives_interval", "5"},
	{"tcp_keepalives_count", "3"},
}

// nodeLockKey is the advisory lock key of a node name: 64 bits of its
// SHA-256, so that two names collide with negligible probability (and a
// collision would refuse a node, never let two share a key).
func nodeLockKey(node string) int64 {
	h := sha256.Sum256([]byte("rwarden node\x00" + node))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// instanceName is the application_name of this process's shipping
// session: the node name and a random id of this process, so that a
// holder of the lock can be told apart as this process's own earlier
// session or another process.
func instanceName(node string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on Linux
	return "rwarden node " + node + " " + hex.EncodeToString(b[:])
}

// claimResult is what one attempt to take the name found.
type claimResult int

const (
	claimed    claimResult = iota
	heldBySelf             // an earlier session of this process, not yet ended by the server
	heldByOther
)

// claimName sets up conn as the shipping session of node (application
// name, keepalives) and tries to take the name's lock. For a holder, it
// returns who (its application name and client address, as far as the
// role may see them).
func claimName(ctx context.Context, conn *pgx.Conn, node, instance string) (claimResult, string, error) {
	qctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := conn.Exec(qctx, `SELECT set_config('application_name', $1, false)`, instance); err != nil {
		return 0, "", fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	for _, kv := range claimKeepalives {
		if _, err := conn.Exec(qctx, `SELECT set_config($1, $2, false)`, kv[0], kv[1]); err != nil {
			return 0, "", fmt.Errorf("%w: setting %s: %v", ErrUnreachable, kv[0], err)
		}
	}
	key := nodeLockKey(node)
	var ok bool
	if err := conn.QueryRow(qctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		return 0, "", fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	if ok {
		return claimed, "", nil
	}
	// A bigint advisory key is shown in pg_locks as classid (high half),
	// objid (low half) and objsubid 1.
	var app, addr string
	err := conn.QueryRow(qctx, `SELECT coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'a Unix socket or an address this role may not see')
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid LIMIT 1`,
		int64(uint64(key)>>32), int64(uint64(key)&0xffffffff)).Scan(&app, &addr)
	switch {
	case err == nil && app == instance:
		return heldBySelf, "", nil
	case err == nil:
		return heldByOther, fmt.Sprintf("%q from %s", app, addr), nil
	case errors.Is(err, pgx.ErrNoRows):
		// Released in between: the next attempt takes it.
		return heldBySelf, "", nil
	default:
		return 0, "", fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
}

// nameInUse is the error of a name held by another live node.
func nameInUse(node, holder string, since time.Time) error {
	return fmt.Errorf("%w: node name %q is held in the store by another running rwarden (session %s) since %s at least: "+
		"two nodes must not share a name (their audit records would collide in the store); "+
		"give each node its own cluster.node, or stop the other one",
		ErrNodeNameInUse, node, holder, since.UTC().Format(time.RFC3339))
}

// errHeld is a holder of the name that has not yet held it for the wait.
var errHeld = errors.New("the node name's lock is still held")

// connectClaimed makes sure s.conn is open and holds the node's name; the
// caller holds s.mu. Another process holding it for longer than s.wait
// sets the conflict, which stops shipping for good.
func (s *Shipper) connectClaimed(ctx context.Context) error {
	if p := s.conflict.Load(); p != nil {
		return *p
	}
	if s.conn != nil {
		return nil
	}
	c, err := connect(ctx, s.dsn)
	if err != nil {
		return err
	}
	res, holder, err := claimName(ctx, c, s.node, s.instance)
	if err == nil && res == claimed {
		s.conn, s.otherSince = c, time.Time{}
		return nil
	}
	c.Close(context.Background())
	switch {
	case err != nil:
		return err
	case res == heldBySelf:
		// This process's own earlier session (cut off from the server,
		// not yet ended there): never another node.
		return fmt.Errorf("%w: %w by an earlier session of this node", ErrUnreachable, errHeld)
	}
	if s.otherSince.IsZero() {
		s.otherSince = time.Now()
	}
	if time.Since(s.otherSince) < s.wait {
		return fmt.Errorf("%w: %w by %s (waiting up to %s for it to end, as after a crash)", ErrUnreachable, errHeld, holder, s.wait)
	}
	conflict := nameInUse(s.node, holder, s.otherSince)
	s.conflict.Store(&conflict)
	return conflict
}

// Claim takes the node's name before the node serves: it waits up to
// ClaimWait for a holder that is not this process (the session of a
// previous instance whose host died ends within that), then returns
// ErrNodeNameInUse, after which nothing is shipped. Any other error is
// the store being unreachable: the node may start degraded and claims the
// name when it reaches the store.
func (s *Shipper) Claim(ctx context.Context) error {
	for {
		s.mu.Lock()
		err := s.connectClaimed(ctx)
		s.mu.Unlock()
		if err == nil || !errors.Is(err, errHeld) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryEvery):
		}
	}
}

// Problem is the conflict that stopped shipping (another live node with
// this name), nil while there is none; for /healthz.
func (s *Shipper) Problem() error {
	if p := s.conflict.Load(); p != nil {
		return *p
	}
	return nil
}

// Close ends the shipping session, releasing the node's name. The lock
// is released explicitly first: the server ends a closed session a moment
// after the client has gone, and a node restarted at once (or the next
// shipper in a test) must find the name free.
func (s *Shipper) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = s.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, nodeLockKey(s.node))
		cancel()
		s.conn.Close(context.Background())
		s.conn = nil
		s.known = false
	}
}
