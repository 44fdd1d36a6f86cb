package proxy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/store"
)

// storeLink is a server's link to the shared store: the node that keeps
// the local copy of users, tokens and policy at the store's version, and
// the shipper of audit records.
type storeLink struct {
	node    *store.Node
	ship    *store.Shipper
	src     *coreAudit // the shipper's source, joined to the core once it opens
	version int64      // installed at start
}

// openStore installs the store's newest version under state_dir/store and
// points cfg's users file and policy directory there, before the core
// opens them. Without a store it returns nil.
func openStore(ctx context.Context, cfg *config.Config, srv *Server) (*storeLink, error) {
	if !cfg.Store.Enabled() {
		return nil, nil
	}
	dsn, err := store.ReadDSN(cfg.Store.DSNSpec())
	if err != nil {
		return nil, err
	}
	n := store.NewNode(dsn, filepath.Join(cfg.StateDir, "store"), srv.log)
	v, err := n.Bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	// The node's name is claimed before anything is served: another live
	// node with this name refuses this one (store/claim.go). A store
	// unreachable now is claimed when it is back, before shipping.
	src := &coreAudit{}
	ship := store.NewShipper(dsn, cfg.NodeName(), src, srv.log)
	if n.Health() == nil {
		if err := ship.Claim(ctx); errors.Is(err, store.ErrNodeNameInUse) {
			return nil, fmt.Errorf("refusing to start: %w", err)
		} else if err != nil {
			srv.log.Warn("node name not claimed in the store yet; it is before any record is shipped", "node", cfg.NodeName(), "err", err)
		}
	}
	// The configured users_file and policies_dir give way to the store's.
	cfg.UsersFile = n.Local().UsersFile()
	cfg.PoliciesDir = n.Local().PoliciesDir()
	srv.log.Info("shared store", "policy_version", v, "node", cfg.NodeName())
	return &storeLink{node: n, ship: ship, src: src, version: v}, nil
}

// coreAudit is the core's audit trail as the shipper's source; c is set
// when the core opens, before the shipper runs.
type coreAudit struct{ c *core.Core }

func (a *coreAudit) HeadSeq() uint64 { return a.c.AuditHeadSeq() }
func (a *coreAudit) After(after uint64, fn func(uint64, []byte) error) error {
	return a.c.AuditAfter(after, fn)
}

// link joins the opened core to the store: the version it opened with,
// health and metrics, and the audit shipper.
func (l *storeLink) link(c *core.Core) {
	c.SetPolicyVersion(l.version)
	l.src.c = c
	c.LinkStore(core.StoreLink{Health: l.node.Health, Conflict: l.ship.Problem, ShipBacklog: l.ship.Backlog})
}

// run follows the store and ships audit records until ctx ends.
func (l *storeLink) run(ctx context.Context, c *core.Core) {
	go l.node.Run(ctx, c.ApplyStoreVersion)
	go l.ship.Run(ctx)
}

// flush ships what is left (the server_stop record) at shutdown, briefly:
// what does not make it is shipped from the local files at the next start.
func (l *storeLink) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = l.ship.Ship(ctx)
	l.ship.Close()
}
