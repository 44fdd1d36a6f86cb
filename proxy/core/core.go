package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// Options tune a Core beyond its configuration.
type Options struct {
	Logger *slog.Logger
	// WorkerExecutable is the binary re-executed as the worker init
	// (default: this executable). Tests set it.
	WorkerExecutable string
	// PolicyCacheDir keeps the R exports index (default: state_dir/cache).
	// Tests share one across servers.
	PolicyCacheDir string
	// Build names the running build in rwarden_build_info.
	Build BuildInfo
}

// Core holds the inner layers a server joins.
type Core struct {
	cfg     *config.Config
	log     *slog.Logger
	users   *auth.Store
	tokens  *auth.Tokens
	oidc    map[string]*oidcVerifier // by listener address
	limiter *auth.Limiter
	policy  *policy.Engine
	pool    *sandbox.Pool
	audit   *audit.Log
	metrics *metrics
	flood   *floodAudit
	// requests limits evaluation requests per user or anonymous address.
	requests *requestLimiter
	disk     *diskWatch

	sessions sessionCounter
	budget   *memBudget
	// handshakeLog rate-limits the log lines of failed TLS handshakes.
	handshakeLog logLimiter
	// refusedLog rate-limits the log lines of refused connections.
	refusedLog logLimiter
	// allowlists maps *policy.Allowlist to its *sandbox.Allowlist.
	allowlists sync.Map
	// live maps the id of every open session to its *Session (admin API).
	live sync.Map
	// reloads is what the admin API reports about policy reloads.
	reloads reloadStatus
	// fileReloads counts users file and certificate reloads.
	fileReloads *prometheus.CounterVec
	// ldap maps a listener address to its LDAP or PAM check (none: the
	// users file).
	ldap map[string]directory
	// openedAt is when the policy of the start was loaded.
	openedAt time.Time
	// node is this node's name (config NodeName, fixed at Open).
	node string
	// policyVersion is the shared store's version in force (0: no store);
	// versionMu makes a policy swap and its version one step for checks.
	policyVersion atomic.Int64
	versionMu     sync.RWMutex
	// versionGen is odd while a store version is being applied and moves
	// on with each: a login's decision that saw it move is made again
	// (consistentDecision).
	versionGen atomic.Uint64
	// store is the shared store's link (nil: no store).
	store atomic.Pointer[StoreLink]
}

// Open opens every layer of cfg, in an order that fails closed: the audit
// trail first (nothing runs unrecorded), then users, policy (whose role and
// user names the limits must match), and the worker pool (which refuses to
// start without Landlock and seccomp unless explicitly insecure).
func Open(ctx context.Context, cfg *config.Config, opts Options) (_ *Core, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Core{cfg: cfg, log: log, openedAt: time.Now(), node: cfg.NodeName()}
	if c.budget, err = newMemBudget(cfg.Pool); err != nil {
		return nil, err
	}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()
	if p := config.NewProblems(cfg); checkAuditAndPool(cfg, p) != nil {
		return nil, p.Err()
	}
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

	c.audit, err = audit.Open(audit.Config{
		File: cfg.Audit.File, Fsync: cfg.Audit.Fsync, RotateBytes: int64(cfg.Audit.RotateBytes),
		RotateEvery: cfg.Audit.RotateEvery.Std(), CodeMode: cfg.Audit.Code, Syslog: cfg.Audit.Syslog,
		Logger: log, Node: c.node, PolicyVersion: c.policyVersion.Load,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the audit trail: %w", err)
	}
	closers = append(closers, func() { _ = c.audit.Close() })

	// A missing users file is an error: creating it here would hide a
	// wrong path. The embedded defaults create theirs (proxy/setup).
	c.users, err = auth.OpenStoreWithOptions(cfg.UsersFile, auth.StoreOptions{MaxConcurrent: cfg.Auth.MaxConcurrentHashes, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	c.limiter = newLoginLimiter(cfg.Throttle.Login)
	c.requests = newRequestLimiter(cfg.Throttle.Requests)
	c.flood = newFloodAudit(c, cfg.Throttle.Audit.FullRecords, cfg.Throttle.Audit.Window.Std())
	// The API tokens file sits next to the users file; missing means none.
	c.tokens, err = auth.OpenTokens(auth.TokensFileFor(cfg.UsersFile), log, c.onTokensReload)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	if c.oidc, err = newOIDCVerifiers(cfg); err != nil {
		return nil, err
	}

	cacheDir := opts.PolicyCacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(cfg.StateDir, "cache")
	}
	c.policy, err = policy.Open(ctx, policy.Config{Dir: cfg.PoliciesDir, CacheDir: cacheDir,
		RHome: cfg.Pool.RHome, LibPaths: cfg.LibraryPaths(), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("loading policies: %w", err)
	}
	p := config.NewProblems(cfg)
	checkLimitNames(cfg, c.policy, p)
	checkData(cfg, c.policy, p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := c.openLDAP(); err != nil {
		return nil, err
	}

	c.pool, err = sandbox.NewPool(sandbox.Config{
		RHome:        cfg.Pool.RHome,
		Executable:   opts.WorkerExecutable,
		ScratchRoot:  filepath.Join(cfg.StateDir, "scratch"),
		ScratchBytes: int64(cfg.Pool.ScratchBytes),
		UIDFirst:     int(cfg.Pool.UIDRange.First),
		UIDLast:      int(cfg.Pool.UIDRange.Last),
		User:         cfg.Pool.User,
		MaxLimits:    ceilingLimits(cfg).Limits,
		Warm:         cfg.Pool.Warm,
		Max:          cfg.Pool.Max,
		BusyPoll:     sandboxBusyPoll(cfg.Pool.BusyPoll),
		Insecure:     cfg.Pool.InsecureNoSandbox,
		Logger:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the worker pool: %w", err)
	}
	closers = append(closers, c.pool.Close)
	if err := c.checkEgress(); err != nil {
		return nil, err
	}
	c.metrics = newMetrics(c.pool.Stats)
	c.fileReloads = newFileReloads()
	c.metrics.reg.MustRegister(c.fileReloads)
	c.registerOpsMetrics(opts.Build)
	c.metrics.watchBudget(c.budget)
	c.disk = newDiskWatch(cfg.Audit.File, int64(cfg.Audit.FreeSpaceWarn), int64(cfg.Audit.FreeSpaceCritical), log)
	c.metrics.reg.MustRegister(c.disk.collectors()...)
	c.prewarm()
	return c, nil
}

// Logger is the core's logger, for front ends.
func (c *Core) Logger() *slog.Logger { return c.log }

// Node is this node's name (cluster.node, or derived from the host name):
// every audit record carries it, and HTTP and MCP session ids begin with it.
func (c *Core) Node() string { return c.node }

// Start records the server start and watches the policy directory until
// ctx ends.
func (c *Core) Start(ctx context.Context) error {
	start := &audit.Record{Event: audit.EventServerStart, Detail: map[string]string{"pid": fmt.Sprint(os.Getpid())}}
	c.addPolicyWarnings(start)
	if err := c.audit.Write(ctx, start); err != nil {
		return fmt.Errorf("recording server start: %w", err)
	}
	go c.budget.run(ctx)
	go c.flood.run(ctx)
	go c.disk.run(ctx)
	go c.watchTokens(ctx)
	if c.store.Load() != nil {
		// The store's node installs and applies each version itself;
		// watching its files too would only reload everything twice.
		return nil
	}
	if err := c.policy.Watch(ctx, c.onPolicyReload); err != nil {
		c.log.Error("watching policies failed; changes need SIGHUP", "err", err)
	}
	if err := c.watchUsers(ctx); err != nil {
		c.log.Error("watching the users file failed; changes need SIGHUP", "err", err)
	}
	return nil
}

// Stop kills the workers, records the server stop and closes the trail.
func (c *Core) Stop() error {
	c.pool.Close()
	c.flood.flush(true)
	stop := &audit.Record{Event: audit.EventServerStop}
	if err := c.audit.Write(context.Background(), stop); err != nil {
		c.log.Error("recording server stop failed", "err", err)
	}
	seq, head := c.audit.Head()
	c.log.Info("audit trail head at shutdown (keep it to detect a cut tail)", "seq", seq, "hash", head)
	return c.audit.Close()
}

// Close releases the layers of a core that never started (Open's caller
// failed before Start).
func (c *Core) Close() {
	c.pool.Close()
	_ = c.audit.Close()
}

// prewarm announces the bindings of the listeners' anonymous users, the
// sessions most likely to come, so that workers bound to them are warm
// before the first client. Other users' workers are warmed from their first
// session on.
func (c *Core) prewarm() {
	seen := map[string]bool{}
	for _, l := range c.cfg.Listeners {
		u := l.AnonymousUser
		if u == "" || seen[u] || !c.policy.HasUser(u) {
			continue
		}
		seen[u] = true
		b, err := c.binding(u, c.LimitsFor(u))
		if err == nil {
			err = c.pool.Prewarm(b)
		}
		if err != nil {
			c.log.Warn("cannot prewarm workers for the anonymous user", "user", u, "err", err)
		}
	}
}

// onPolicyReload records every policy reload, accepted or rejected.
func (c *Core) onPolicyReload(ev policy.ReloadEvent) {
	c.reloads.note(ev)
	rec := &audit.Record{Event: audit.EventPolicyReload, Detail: map[string]string{"file": ev.File}}
	if ev.OK {
		rec.Status = audit.StatusOK
		c.metrics.reloads.WithLabelValues("ok").Inc()
		c.log.Info("policies reloaded", "file", ev.File)
		c.addPolicyWarnings(rec)
		c.allowlists.Clear() // the old policy's allowlists
		c.prewarm()          // allowlists may have changed
		// A role or user the limits name may be gone: its limits no longer
		// apply to anyone. Said loudly; the policy stays (it is valid).
		p := config.NewProblems(c.cfg)
		checkLimitNames(c.cfg, c.policy, p)
		if err := p.Err(); err != nil {
			c.log.Warn("the reloaded policy lacks roles or users named under limits; their limits apply to no one", "problems", err.Error())
		}
	} else {
		rec.Status = audit.StatusRejected
		rec.Error = fmt.Sprint(ev.Err)
		if ev.Line > 0 {
			rec.Detail["line"] = fmt.Sprint(ev.Line)
		}
		c.metrics.reloads.WithLabelValues("rejected").Inc()
		c.log.Error("policy change rejected; the previous policy stays in force", "file", ev.File, "line", ev.Line, "err", ev.Err)
	}
	if err := c.audit.Write(context.Background(), rec); err != nil {
		c.log.Error("AUDIT WRITE FAILED: policy reload not recorded", "err", err)
	}
}

// addPolicyWarnings puts the warnings of the policy in force (a grant of a
// package that is not installed, a user file without rules, ...) into the
// record of the start or reload that brought them, one per line, so that
// the trail shows when a policy that most likely does not say what was
// meant came into force.
func (c *Core) addPolicyWarnings(rec *audit.Record) {
	ws := c.policy.Warnings()
	if len(ws) == 0 {
		return
	}
	lines := make([]string, len(ws))
	for i, w := range ws {
		lines[i] = w.String()
	}
	rec.Detail["policy_warnings"] = strings.Join(lines, "\n")
}

// Reload re-reads users and policies (SIGHUP). A broken file keeps what was
// in force; every problem is returned.
func (c *Core) Reload() error {
	var errs []error
	err := c.users.Reload()
	c.NoteFileReload("users", c.cfg.UsersFile, err)
	if err != nil {
		errs = append(errs, err)
	}
	err = c.policy.Reload()
	ev := policy.ReloadEvent{Time: time.Now(), OK: err == nil, File: c.cfg.PoliciesDir, Err: err}
	var le interface{ LineNumber() int }
	if errors.As(err, &le) {
		ev.Line = le.LineNumber()
	}
	c.onPolicyReload(ev)
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// AdminHandler serves /metrics and /healthz. /healthz fails (503) when
// workers cannot be started, the audit trail cannot be written or its
// disk's free space is below audit.free_space_critical; it answers 200
// "degraded: ..." below audit.free_space_warn.
func (c *Core) AdminHandler() http.Handler { return c.adminHandler() }

// PoolStats are the worker pool's counters (tests and benchmarks watch
// them).
func (c *Core) PoolStats() sandbox.PoolStats { return c.pool.Stats() }

// AuditWriteSeconds is the total time spent writing evaluation records so
// far (benchmarks relate it to latency).
func (c *Core) AuditWriteSeconds() float64 { return histogramSum(c.metrics.auditLatency) }
