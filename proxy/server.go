package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/httpapi"
	"github.com/rwarden/rwarden/proxy/mcpapi"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/transport"
)

// Options tune a Server beyond its configuration (the core's options).
type Options = core.Options

// LoadConfig reads and validates a configuration file: the file's own
// checks and the core's (audit and sandbox settings).
func LoadConfig(path string) (*config.Config, error) {
	return config.Load(path, core.CheckConfig)
}

// Server is a running rwarden: its listeners, each served by the front end
// of its protocol, on one session core.
type Server struct {
	cfg       *config.Config
	log       *slog.Logger
	core      *core.Core
	qap1      *qap1.Server
	http      *httpapi.Server
	listeners []*transport.Listener
	admin     net.Listener
	// adminCerts reloads the admin listener's TLS files (nil: plain HTTP).
	adminCerts *transport.CertReloader
	conns      *transport.Tracker
	// store is the link to the shared store (nil: files on one node).
	store *storeLink

	// OnReady, when set before Serve, is called once Serve has started the
	// core and the accept loops of every listener (bound since New), before
	// it waits for ctx: the point to tell systemd the service is ready.
	OnReady func()
}

// Addr returns the listening address of the i-th configured listener.
func (srv *Server) Addr(i int) net.Addr { return srv.listeners[i].Addr() }

// AdminAddr returns the admin listener's address, nil when off.
func (srv *Server) AdminAddr() net.Addr {
	if srv.admin == nil {
		return nil
	}
	return srv.admin.Addr()
}

// Core is the server's session core.
func (srv *Server) Core() *core.Core { return srv.core }

// New opens the core (audit trail, users, policy, workers: see core.Open)
// and then every listener.
func New(ctx context.Context, cfg *config.Config, opts Options) (_ *Server, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
		opts.Logger = log
	}
	for i, l := range cfg.Listeners {
		if frontEnd(l.Protocol) == nil {
			return nil, fmt.Errorf("listeners[%d]: protocol %q has no front end", i, l.Protocol)
		}
	}
	// Descriptors: everything the hard limit allows, and connections
	// refused before the reserve for workers and the audit is touched.
	soft, err := transport.RaiseNoFile()
	if err != nil {
		return nil, err
	}
	reserve := cfg.Connections.ReserveFor(cfg.Pool.Max)
	limits, lowered, err := transport.LimitsFor(soft, reserve, cfg.Connections.Max, cfg.Connections.PerAddress)
	if err != nil {
		return nil, err
	}
	if lowered {
		log.Warn("connections.max lowered to fit the descriptor limit", "configured", cfg.Connections.Max, "max", limits.Total,
			"rlimit_nofile", soft, "reserve_fds", reserve)
	}
	log.Info("connection limits", "max", limits.Total, "per_address", limits.PerAddress, "rlimit_nofile", soft, "reserve_fds", reserve)
	srv := &Server{cfg: cfg, log: log, conns: transport.NewLimitedTracker(limits)}
	if srv.store, err = openStore(ctx, cfg, srv); err != nil {
		return nil, err
	}
	if srv.core, err = core.Open(ctx, cfg, opts); err != nil {
		if srv.store != nil {
			srv.store.ship.Close() // releases the node's name
		}
		return nil, err
	}
	if srv.store != nil {
		srv.store.link(srv.core)
	}
	srv.core.WatchConnections(srv.conns.Open, limits.Total)
	srv.qap1 = qap1.NewServer(srv.core, cfg.StateDir)
	srv.http = httpapi.NewServer(srv.core)
	mcpapi.Mount(srv.core, srv.http, mcpapi.Options{AllowedOrigins: cfg.MCP.AllowedOrigins})
	defer func() {
		if err != nil {
			for _, l := range srv.listeners {
				l.Close()
			}
			if srv.admin != nil {
				srv.admin.Close()
			}
			srv.core.Close()
			if srv.store != nil {
				srv.store.ship.Close()
			}
		}
	}()
	for _, lc := range cfg.Listeners {
		l, err := transport.Open(ctx, lc)
		if err != nil {
			return nil, err
		}
		srv.listeners = append(srv.listeners, l)
	}
	if cfg.Admin.Address != "" {
		if srv.admin, srv.adminCerts, err = listenAdmin(cfg.Admin); err != nil {
			return nil, err
		}
	}
	return srv, nil
}

// frontEnd maps a listener's protocol to the front end serving it.
func frontEnd(protocol string) func(srv *Server, ctx context.Context, c *transport.Conn) {
	switch protocol {
	case framed.Protocol, "":
		return func(srv *Server, ctx context.Context, c *transport.Conn) { framed.Serve(ctx, srv.core, c) }
	case qap1.Protocol:
		return func(srv *Server, ctx context.Context, c *transport.Conn) { srv.qap1.Serve(ctx, c) }
	case httpapi.Protocol:
		return func(srv *Server, ctx context.Context, c *transport.Conn) { srv.http.Serve(ctx, c) }
	}
	return nil
}

// Serve accepts connections until ctx ends, then shuts down gracefully:
// listeners close, connections still reading a request are closed, running
// evaluations get up to shutdown_grace to finish, then everything left is
// cut and its workers killed. It records server start and stop.
func (srv *Server) Serve(ctx context.Context) error {
	// Hard context: cancelled once the grace period is over.
	hard, kill := context.WithCancel(context.Background())
	defer kill()
	if err := srv.core.Start(hard); err != nil {
		return err
	}
	srv.watchCertificates(hard)
	if srv.store != nil {
		srv.store.run(hard, srv.core)
	}
	var acceptWG sync.WaitGroup
	for _, l := range srv.listeners {
		serve := frontEnd(l.Config.Protocol)
		acceptWG.Add(1)
		go func() {
			defer acceptWG.Done()
			l.Accept(srv.conns, srv.log, func(c *transport.Conn) { serve(srv, hard, c) }, srv.refuse(l))
		}()
		srv.log.Info("listening", "address", l.Addr().String(), "protocol", l.Config.Protocol, "tls", l.TLS != nil)
	}
	if srv.admin != nil {
		go srv.serveAdmin(hard, srv.admin)
		srv.log.Info("admin listener", "address", srv.admin.Addr().String())
	}
	if srv.OnReady != nil {
		srv.OnReady()
	}

	<-ctx.Done()
	srv.log.Info("shutting down: no new connections; running evaluations may finish", "grace", srv.cfg.ShutdownGrace.Std())
	for _, l := range srv.listeners {
		l.Close()
	}
	acceptWG.Wait()
	srv.conns.CloseIdle()
	done := srv.conns.Done()
	select {
	case <-done:
	case <-time.After(srv.cfg.ShutdownGrace.Std()):
		srv.log.Warn("grace period over: stopping the evaluations still running")
		kill()
		srv.conns.CloseAll()
		<-done
	}
	kill()
	srv.http.CloseSessions()
	err := srv.core.Stop()
	if srv.store != nil {
		srv.store.flush()
	}
	return err
}

// Reload re-reads certificates, users and policies (SIGHUP). A broken file
// keeps what was in force; every problem is returned.
func (srv *Server) Reload() error {
	var errs []error
	for _, l := range srv.listeners {
		if l.Reloader != nil {
			err := l.Reloader.Reload()
			srv.core.NoteFileReload("certificate", l.Config.Address, err)
			if err != nil {
				errs = append(errs, fmt.Errorf("listener %s certificate: %w", l.Config.Address, err))
			}
		}
	}
	if srv.adminCerts != nil {
		err := srv.adminCerts.Reload()
		srv.core.NoteFileReload("certificate", "admin "+srv.cfg.Admin.Address, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("admin listener certificate: %w", err))
		}
	}
	if err := srv.core.Reload(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// serveAdmin runs the admin listener (/metrics, /healthz, the admin API)
// until ctx ends.
func (srv *Server) serveAdmin(ctx context.Context, ln net.Listener) {
	hs := &http.Server{Handler: srv.adminHandler(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.log.Error("admin listener stopped", "err", err)
	}
}

// refuse answers a connection refused by a connection limit, on the accept
// loop (so without waiting): counted and logged by the core; a framed
// plaintext client gets the reason as its error answer; TLS and QAP1
// clients (which expect a handshake or the server's identification first)
// are closed.
func (srv *Server) refuse(l *transport.Listener) func(net.Conn, *transport.Refused) {
	return func(c net.Conn, r *transport.Refused) {
		srv.core.ConnectionRefused(l.Config.Address, r)
		if l.TLS != nil || frontEndName(l.Config.Protocol) != framed.Protocol {
			return
		}
		// A fresh socket's send buffer takes the short answer at once;
		// the deadline only guards against the impossible.
		_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		_ = framed.WriteResponse(c, framed.UTF8, "Error: "+r.Message()+"\n")
	}
}

// frontEndName is the front end serving a listener protocol ("" is framed).
func frontEndName(protocol string) string {
	if protocol == "" {
		return framed.Protocol
	}
	return protocol
}
