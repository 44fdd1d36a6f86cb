package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/sandbox"
)

// Options tune a Server beyond its configuration.
type Options struct {
	Logger *slog.Logger
	// WorkerExecutable is the binary re-executed as the worker init
	// (default: this executable). Tests set it.
	WorkerExecutable string
	// PolicyCacheDir keeps the R exports index (default: state_dir/cache).
	// Tests share one across servers.
	PolicyCacheDir string
}

// Server is a running rwarden: listeners and the layers they join.
type Server struct {
	cfg     *Config
	log     *slog.Logger
	users   *auth.Store
	limiter *auth.Limiter
	policy  *policy.Engine
	pool    *sandbox.Pool
	audit   *audit.Log
	metrics *metrics

	sessions sessionCounter
	// allowlists maps *policy.Allowlist to its *sandbox.Allowlist.
	allowlists sync.Map
	listeners  []*boundListener
	admin      net.Listener

	// conns tracks open client connections for graceful shutdown.
	connMu sync.Mutex
	conns  map[*trackedConn]struct{}
	connWG sync.WaitGroup
}

// boundListener is one configured listener, open.
type boundListener struct {
	cfg    ListenerConfig
	ln     net.Listener
	tls    *tls.Config
	reload *CertReloader
}

// Addr returns the listening address of the i-th configured listener.
func (srv *Server) Addr(i int) net.Addr { return srv.listeners[i].ln.Addr() }

// AdminAddr returns the admin listener's address, nil when off.
func (srv *Server) AdminAddr() net.Addr {
	if srv.admin == nil {
		return nil
	}
	return srv.admin.Addr()
}

// New opens every layer and listener of cfg, in an order that fails closed:
// the audit trail first (nothing runs unrecorded), then users, policy, the
// worker pool (which refuses to start without Landlock and seccomp unless
// explicitly insecure), and the listeners last.
func New(ctx context.Context, cfg *Config, opts Options) (_ *Server, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := &Server{cfg: cfg, log: log, conns: map[*trackedConn]struct{}{}}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	if os.Geteuid() == 0 && !cfg.Pool.InsecureNoSandbox {
		// Workers run under their own uids and must traverse the state
		// directory to reach their scratch directory under it: searchable,
		// not listable. Everything secret inside is 0600 or in 0700 dirs.
		if err := os.Chmod(cfg.StateDir, 0o711); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}

	srv.audit, err = audit.Open(audit.Config{
		File: cfg.Audit.File, Fsync: cfg.Audit.Fsync, RotateBytes: int64(cfg.Audit.RotateBytes),
		RotateEvery: cfg.Audit.RotateEvery.Std(), CodeMode: cfg.Audit.Code, Syslog: cfg.Audit.Syslog,
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the audit trail: %w", err)
	}
	closers = append(closers, func() { _ = srv.audit.Close() })

	if _, err := os.Stat(cfg.UsersFile); errors.Is(err, os.ErrNotExist) {
		// No users yet: an empty file, so password logins are refused (and
		// `rwarden user add` has a file to add to).
		log.Warn("no users file; creating an empty one: password logins are refused until users are added", "path", cfg.UsersFile)
		if err := os.WriteFile(cfg.UsersFile, nil, 0o600); err != nil {
			return nil, fmt.Errorf("creating the users file: %w", err)
		}
	}
	srv.users, err = auth.OpenStoreWithOptions(cfg.UsersFile, auth.StoreOptions{MaxConcurrent: cfg.Auth.MaxConcurrentHashes, Logger: log})
	if err != nil {
		return nil, err
	}
	srv.limiter = auth.NewLimiter(auth.DefaultLimiterConfig())

	cacheDir := opts.PolicyCacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(cfg.StateDir, "cache")
	}
	srv.policy, err = policy.Open(ctx, policy.Config{Dir: cfg.PoliciesDir, CacheDir: cacheDir,
		RHome: cfg.Pool.RHome, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("loading policies: %w", err)
	}

	ceiling := cfg.ceilingLimits()
	srv.pool, err = sandbox.NewPool(sandbox.Config{
		RHome:        cfg.Pool.RHome,
		Executable:   opts.WorkerExecutable,
		ScratchRoot:  filepath.Join(cfg.StateDir, "scratch"),
		ScratchBytes: int64(cfg.Pool.ScratchBytes),
		UIDFirst:     int(cfg.Pool.UIDRange.First),
		UIDLast:      int(cfg.Pool.UIDRange.Last),
		User:         cfg.Pool.User,
		MaxLimits:    sandboxLimits(ceiling),
		Warm:         cfg.Pool.Warm,
		Max:          cfg.Pool.Max,
		BusyPoll:     sandboxBusyPoll(cfg.Pool.BusyPoll),
		Insecure:     cfg.Pool.InsecureNoSandbox,
		Logger:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the worker pool: %w", err)
	}
	closers = append(closers, srv.pool.Close)
	srv.metrics = newMetrics(srv.pool.Stats)
	srv.prewarm()

	for _, lc := range cfg.Listeners {
		bl, err := openListener(ctx, lc)
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { bl.ln.Close() })
		srv.listeners = append(srv.listeners, bl)
	}
	if cfg.Admin.Address != "" {
		if srv.admin, err = net.Listen("tcp", cfg.Admin.Address); err != nil {
			return nil, fmt.Errorf("admin listener %s: %w", cfg.Admin.Address, err)
		}
		closers = append(closers, func() { srv.admin.Close() })
	}
	return srv, nil
}

func openListener(ctx context.Context, lc ListenerConfig) (*boundListener, error) {
	bl := &boundListener{cfg: lc}
	if lc.TLS.Enabled() {
		var err error
		if bl.tls, bl.reload, err = NewTLSConfig(lc.TLS); err != nil {
			return nil, fmt.Errorf("listener %s: %w", lc.Address, err)
		}
	}
	ln, err := Listen(ctx, lc.Address, lc.Plaintext, lc.UnixMode.Perm())
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Address, err)
	}
	bl.ln = ln
	return bl, nil
}

// prewarm announces the bindings of the listeners' anonymous users, the
// sessions most likely to come, so that workers bound to them are warm
// before the first client. Other users' workers are warmed from their first
// session on.
func (srv *Server) prewarm() {
	seen := map[string]bool{}
	for _, l := range srv.cfg.Listeners {
		u := l.AnonymousUser
		if u == "" || seen[u] || !srv.policy.HasUser(u) {
			continue
		}
		seen[u] = true
		allow, err := srv.runtimeAllowlist(u)
		if err != nil {
			srv.log.Warn("cannot prewarm workers for the anonymous user", "user", u, "err", err)
			continue
		}
		limits := srv.cfg.LimitsFor(u, srv.policy.Roles(u))
		if err := srv.pool.Prewarm(sandbox.Binding{User: u, Limits: sandboxLimits(limits), Allowlist: allow}); err != nil {
			srv.log.Warn("cannot prewarm workers for the anonymous user", "user", u, "err", err)
		}
	}
}

// runtimeAllowlist resolves the user's policy into the worker's allowlist.
func (srv *Server) runtimeAllowlist(user string) (*sandbox.Allowlist, error) {
	a, err := srv.policy.Allowlist(user)
	if err != nil {
		return nil, err
	}
	// The policy keeps one allowlist per user and policy load; keeping one
	// sandbox form per policy allowlist lets the sandbox encode and hash it
	// once, not for every session. Reloads drop the old forms.
	if sa, ok := srv.allowlists.Load(a); ok {
		return sa.(*sandbox.Allowlist), nil
	}
	sa, _ := srv.allowlists.LoadOrStore(a, &sandbox.Allowlist{Functions: a.Functions, Packages: a.Packages, Internal: a.Internal})
	return sa.(*sandbox.Allowlist), nil
}

// Serve accepts connections until ctx ends, then shuts down gracefully:
// listeners close, connections still reading a request are closed, running
// evaluations get up to shutdown_grace to finish, then everything left is
// cut and its workers killed. It records server start and stop.
func (srv *Server) Serve(ctx context.Context) error {
	start := &audit.Record{Event: audit.EventServerStart, Detail: map[string]string{"pid": fmt.Sprint(os.Getpid())}}
	if err := srv.audit.Write(ctx, start); err != nil {
		return fmt.Errorf("recording server start: %w", err)
	}
	// Hard context: cancelled once the grace period is over.
	hard, kill := context.WithCancel(context.Background())
	defer kill()
	if err := srv.policy.Watch(hard, srv.onPolicyReload); err != nil {
		srv.log.Error("watching policies failed; changes need SIGHUP", "err", err)
	}
	var acceptWG sync.WaitGroup
	for _, bl := range srv.listeners {
		acceptWG.Add(1)
		go func() {
			defer acceptWG.Done()
			srv.acceptLoop(hard, bl)
		}()
		srv.log.Info("listening", "address", bl.ln.Addr().String(), "protocol", bl.cfg.Protocol, "tls", bl.tls != nil)
	}
	if srv.admin != nil {
		go srv.serveAdmin(hard, srv.admin)
		srv.log.Info("admin listener", "address", srv.admin.Addr().String())
	}

	<-ctx.Done()
	srv.log.Info("shutting down: no new connections; running evaluations may finish", "grace", srv.cfg.ShutdownGrace.Std())
	for _, bl := range srv.listeners {
		bl.ln.Close()
	}
	acceptWG.Wait()
	srv.closeIdleConns()
	done := make(chan struct{})
	go func() { srv.connWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(srv.cfg.ShutdownGrace.Std()):
		srv.log.Warn("grace period over: stopping the evaluations still running")
		kill()
		srv.closeAllConns()
		<-done
	}
	kill()
	srv.pool.Close()
	stop := &audit.Record{Event: audit.EventServerStop}
	if err := srv.audit.Write(context.Background(), stop); err != nil {
		srv.log.Error("recording server stop failed", "err", err)
	}
	seq, head := srv.audit.Head()
	srv.log.Info("audit trail head at shutdown (keep it to detect a cut tail)", "seq", seq, "hash", head)
	return srv.audit.Close()
}

// onPolicyReload records every policy reload, accepted or rejected.
func (srv *Server) onPolicyReload(ev policy.ReloadEvent) {
	rec := &audit.Record{Event: audit.EventPolicyReload, Detail: map[string]string{"file": ev.File}}
	if ev.OK {
		rec.Status = audit.StatusOK
		srv.metrics.reloads.WithLabelValues("ok").Inc()
		srv.log.Info("policies reloaded", "file", ev.File)
		srv.allowlists.Clear() // the old policy's allowlists
		srv.prewarm()          // allowlists may have changed
	} else {
		rec.Status = audit.StatusRejected
		rec.Error = fmt.Sprint(ev.Err)
		if ev.Line > 0 {
			rec.Detail["line"] = fmt.Sprint(ev.Line)
		}
		srv.metrics.reloads.WithLabelValues("rejected").Inc()
		srv.log.Error("policy change rejected; the previous policy stays in force", "file", ev.File, "line", ev.Line, "err", ev.Err)
	}
	if err := srv.audit.Write(context.Background(), rec); err != nil {
		srv.log.Error("AUDIT WRITE FAILED: policy reload not recorded", "err", err)
	}
}

// Reload re-reads certificates, users and policies (SIGHUP). A broken file
// keeps what was in force; every problem is returned.
func (srv *Server) Reload() error {
	var errs []error
	for _, bl := range srv.listeners {
		if bl.reload != nil {
			if err := bl.reload.Reload(); err != nil {
				errs = append(errs, fmt.Errorf("listener %s certificate: %w", bl.cfg.Address, err))
			}
		}
	}
	if err := srv.users.Reload(); err != nil {
		errs = append(errs, err)
	}
	err := srv.policy.Reload()
	ev := policy.ReloadEvent{Time: time.Now(), OK: err == nil, File: srv.cfg.PoliciesDir, Err: err}
	var le interface{ LineNumber() int }
	if errors.As(err, &le) {
		ev.Line = le.LineNumber()
	}
	srv.onPolicyReload(ev)
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (srv *Server) acceptLoop(ctx context.Context, bl *boundListener) {
	var backoff time.Duration
	for {
		c, err := bl.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			srv.log.Warn("accept failed", "listener", bl.cfg.Address, "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		tc := srv.track(c)
		go func() {
			defer srv.untrack(tc)
			srv.handle(ctx, bl, tc)
		}()
	}
}

// trackedConn is an open client connection and whether it is evaluating
// (kept through shutdown's grace period) or not (closed at once).
type trackedConn struct {
	net.Conn
	mu   sync.Mutex
	busy bool
}

// NetConn returns the wrapped connection (for peer credentials).
func (tc *trackedConn) NetConn() net.Conn { return tc.Conn }

func (tc *trackedConn) setBusy(b bool) {
	tc.mu.Lock()
	tc.busy = b
	tc.mu.Unlock()
}

func (srv *Server) track(c net.Conn) *trackedConn {
	tc := &trackedConn{Conn: c}
	srv.connMu.Lock()
	srv.conns[tc] = struct{}{}
	srv.connWG.Add(1)
	srv.connMu.Unlock()
	return tc
}

func (srv *Server) untrack(tc *trackedConn) {
	tc.Close()
	srv.connMu.Lock()
	delete(srv.conns, tc)
	srv.connMu.Unlock()
	srv.connWG.Done()
}

func (srv *Server) closeIdleConns() {
	srv.connMu.Lock()
	defer srv.connMu.Unlock()
	for tc := range srv.conns {
		tc.mu.Lock()
		if !tc.busy {
			tc.Conn.Close()
		}
		tc.mu.Unlock()
	}
}

func (srv *Server) closeAllConns() {
	srv.connMu.Lock()
	defer srv.connMu.Unlock()
	for tc := range srv.conns {
		tc.Conn.Close()
	}
}

// handle serves one connection with its listener's protocol.
func (srv *Server) handle(ctx context.Context, bl *boundListener, tc *trackedConn) {
	defer func() {
		if r := recover(); r != nil {
			// A bug must cost one connection, never the server.
			srv.log.Error("connection handler panicked", "remote", tc.RemoteAddr().String(), "panic", r)
		}
	}()
	switch bl.cfg.Protocol {
	case ProtocolFramed, "":
		srv.serveFramed(ctx, bl, tc)
	case ProtocolQAP1:
		srv.serveQAP1(ctx, bl, tc)
	default:
		srv.log.Error("listener protocol not available", "protocol", bl.cfg.Protocol)
	}
}

// remoteOf names a connection's peer for logs and the audit trail.
func remoteOf(c net.Conn, l ListenerConfig) string {
	if l.IsUnix() {
		if uid, _, pid, err := PeerCredentials(c); err == nil {
			return fmt.Sprintf("unix:uid=%d,pid=%d", uid, pid)
		}
		return "unix"
	}
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return "unknown"
}

// sandboxBusyPoll maps pool.busy_poll to the sandbox's setting, where zero
// means the default and a negative value means off.
func sandboxBusyPoll(d Duration) time.Duration {
	if d.Std() <= 0 {
		return -1
	}
	return d.Std()
}
