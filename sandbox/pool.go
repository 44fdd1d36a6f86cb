package sandbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Pool keeps workers warm and hands each session a fresh one. A worker
// serves exactly one session and is destroyed when the session ends.
//
// A worker's memory and session-CPU rlimits are fixed when it starts (see
// initialRlimits), and binding it to an allowlist takes milliseconds, so
// warm workers are kept per profile (limits and allowlist), started and bound
// in the background: for Config.WarmLimits when set, for profiles announced
// with Prewarm, and for every profile a session asked for in the last
// profileMemory. Idle workers of profiles no longer in demand are retired.
type Pool struct {
	cfg Config
	l   *launcher

	mu       sync.Mutex
	idle     []*worker
	busy     int
	waiting  int           // sessions queued for room
	turn     chan struct{} // cap 1: held by the first waiting session
	starting map[profile]int
	demand   map[profile]*demandEntry
	closed   bool
	changed  chan struct{} // closed and replaced on every state change
	lastErr  error         // last worker start failure, nil after a success
	started  uint64
	failed   uint64
	refill   chan struct{}
	base     *bindProfile    // warm always (Config.WarmLimits, unrestricted); nil: none
	ctx      context.Context // ends when the pool closes
	stopLoop context.CancelFunc
	loopDone chan struct{}
	// abandoned counts starts whose session gave up waiting; the worker
	// went to the idle ones.
	abandoned uint64

	hot      *hotSessions  // which evaluations may busy-poll
	sessions atomic.Uint64 // serial numbers of sessions
}

// profileMemory is how long a profile that sessions asked for keeps warm
// workers after the last such session.
const profileMemory = 10 * time.Minute

// demandEntry remembers a profile sessions asked for, and how to bind it.
type demandEntry struct {
	last time.Time
	bp   bindProfile
}

// PoolStats is a snapshot for metrics and health checks.
type PoolStats struct {
	Idle, Busy, Starting int
	Started, Failed      uint64
	LastStartError       error
	// Abandoned counts worker starts that the session waiting for them
	// gave up on; each finished and joined the idle workers.
	Abandoned uint64
	// Forks and ForkFailures count session processes forked from the fork
	// template and forks that failed after the template answered;
	// TemplateStarts counts template (re)starts. All zero with forks off.
	Forks, ForkFailures, TemplateStarts uint64
	// Templates is the number of running fork templates (one per allowlist
	// in use, at most maxTemplates): R
	// processes of the pool besides its workers.
	Templates int
}

// ErrPoolClosed is returned by Acquire after Close.
var ErrPoolClosed = errors.New("worker pool closed")

// NewPool checks that the sandbox can be built on this host (unless
// cfg.Insecure), prepares the scratch root and starts filling the pool.
func NewPool(cfg Config) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Insecure {
		cfg.Logger.Warn("INSECURE: workers run WITHOUT Landlock, seccomp, namespaces or uid drop; R code can do anything this process can. Development only.")
	} else if err := Probe(cfg.RHome).Required(); err != nil {
		return nil, fmt.Errorf("refusing to start workers: %w", err)
	}
	l, err := newLauncher(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{cfg: cfg, l: l, changed: make(chan struct{}), refill: make(chan struct{}, 1), turn: make(chan struct{}, 1),
		starting: map[profile]int{}, demand: map[profile]*demandEntry{},
		ctx: ctx, stopLoop: cancel, loopDone: make(chan struct{}), hot: newHotSessions(cfg.BusyPoll)}
	if cfg.WarmLimits != (Limits{}) {
		bp, _ := Binding{Limits: cfg.WarmLimits}.prepare()
		p.base = &bp
	}
	go p.refillLoop(ctx)
	p.kick()
	return p, nil
}

// Prewarm announces sessions with this binding (for example a listener's
// anonymous user), so that warm workers bound to it are ready before the
// first one arrives.
func (p *Pool) Prewarm(b Binding) error {
	b.Limits = b.Limits.Capped(p.cfg.MaxLimits)
	bp, err := b.prepare()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.demand[bp.prof] = &demandEntry{last: time.Now(), bp: bp}
	p.mu.Unlock()
	p.kick()
	return nil
}

func (p *Pool) kick() {
	select {
	case p.refill <- struct{}{}:
	default:
	}
}

// notifyLocked wakes everyone waiting for a state change.
func (p *Pool) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Pool) startingLocked() int {
	n := 0
	for _, c := range p.starting {
		n += c
	}
	return n
}

func (p *Pool) liveLocked() int { return len(p.idle) + p.busy + p.startingLocked() }

func (p *Pool) idleOfLocked(prof profile) int {
	n := 0
	for _, w := range p.idle {
		if w.profile == prof {
			n++
		}
	}
	return n
}

// wantedLocked returns the profiles to keep warm, most recently asked for
// first, the configured base profile first of all.
func (p *Pool) wantedLocked() []bindProfile {
	now := time.Now()
	var out []*demandEntry
	for prof, d := range p.demand {
		if now.Sub(d.last) > profileMemory {
			delete(p.demand, prof)
			continue
		}
		if p.base == nil || prof != p.base.prof {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].last.After(out[j].last) })
	var bps []bindProfile
	if p.base != nil {
		bps = append(bps, *p.base)
	}
	for _, d := range out {
		bps = append(bps, d.bp)
	}
	return bps
}

// nextToWarmLocked picks a profile that lacks warm workers and counts its
// start, or reports that nothing is needed.
func (p *Pool) nextToWarmLocked() (bindProfile, bool) {
	if p.closed || p.liveLocked() >= p.cfg.Max {
		return bindProfile{}, false
	}
	for _, bp := range p.wantedLocked() {
		if p.idleOfLocked(bp.prof)+p.starting[bp.prof] < p.cfg.Warm {
			p.starting[bp.prof]++
			return bp, true
		}
	}
	return bindProfile{}, false
}

// retireUnwantedLocked removes idle workers of profiles no longer in
// demand (an old policy's allowlist, a user gone quiet) and returns them for
// destruction.
func (p *Pool) retireUnwantedLocked() []*worker {
	wanted := map[profile]bool{}
	for _, bp := range p.wantedLocked() {
		wanted[bp.prof] = true
	}
	var gone []*worker
	kept := p.idle[:0]
	for _, w := range p.idle {
		if wanted[w.profile] {
			kept = append(kept, w)
		} else {
			gone = append(gone, w)
		}
	}
	p.idle = kept
	return gone
}

// refillConcurrency bounds the warm workers started at the same time: one
// per CPU (a start is CPU-bound, mostly R loading its packages), at least 2.
var refillConcurrency = max(2, runtime.NumCPU())

// refillLoop keeps warm workers, within cfg.Max, starting several at once,
// and backs off when workers fail to start so a broken R does not spin.
func (p *Pool) refillLoop(ctx context.Context) {
	defer close(p.loopDone)
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, refillConcurrency)
	var backoffMu sync.Mutex
	backoff := time.Duration(0)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.refill:
		case <-tick.C:
		}
		p.mu.Lock()
		unwanted := p.retireUnwantedLocked()
		p.mu.Unlock()
		for _, w := range unwanted {
			w.destroy("profile no longer in demand")
		}
		for {
			backoffMu.Lock()
			wait := backoff
			backoffMu.Unlock()
			if wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p.mu.Lock()
			p.pruneDeadLocked()
			bp, need := p.nextToWarmLocked()
			p.mu.Unlock()
			if !need {
				<-slots
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				w, err := p.startOne(ctx, bp, false)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					backoffMu.Lock()
					backoff = min(max(2*backoff, 250*time.Millisecond), 30*time.Second)
					b := backoff
					backoffMu.Unlock()
					p.cfg.Logger.Error("starting a warm R worker failed", "err", err, "retry_in", b)
					p.kick()
					return
				}
				backoffMu.Lock()
				backoff = 0
				backoffMu.Unlock()
				p.mu.Lock()
				if p.closed {
					p.mu.Unlock()
					w.destroy("pool closed")
					return
				}
				p.idle = append(p.idle, w)
				p.notifyLocked()
				p.mu.Unlock()
				p.kick()
			}()
		}
	}
}

// startOne starts a worker whose start was already counted in p.starting.
// A worker started for a session is counted busy in the same step, so the
// pool never appears to have more room than it has.
func (p *Pool) startOne(ctx context.Context, bp bindProfile, forSession bool) (*worker, error) {
	w, err := p.l.start(ctx, bp)
	if err == nil && bp.prof.Allow != "" && !w.bound {
		if err = w.bind(ctx, bp); err != nil {
			w.destroy("bind failed")
		}
	}
	p.mu.Lock()
	p.starting[bp.prof]--
	if p.starting[bp.prof] == 0 {
		delete(p.starting, bp.prof)
	}
	if err != nil {
		if ctx.Err() == nil {
			p.failed++
			p.lastErr = err
		}
	} else {
		p.started++
		p.lastErr = nil
		if forSession {
			p.busy++
		}
	}
	p.notifyLocked()
	p.mu.Unlock()
	return w, err
}

// startForSession starts a worker for a session that waits for it. The
// start runs on even if the session gives up waiting (its client went
// away, its deadline passed): the worker then joins the idle ones and
// serves the next session of its profile, instead of the work being
// thrown away when it was nearly done.
func (p *Pool) startForSession(ctx context.Context, bp bindProfile) (*worker, error) {
	type started struct {
		w   *worker
		err error
	}
	done := make(chan started, 1)
	go func() {
		w, err := p.startOne(p.ctx, bp, true)
		done <- started{w, err}
	}()
	select {
	case r := <-done:
		return r.w, r.err
	case <-ctx.Done():
	}
	go func() {
		r := <-done
		if r.err != nil {
			return
		}
		p.mu.Lock()
		p.busy--
		if p.closed {
			p.notifyLocked()
			p.mu.Unlock()
			r.w.destroy("pool closed")
			return
		}
		p.idle = append(p.idle, r.w)
		p.abandoned++
		p.notifyLocked()
		p.mu.Unlock()
	}()
	return nil, fmt.Errorf("waiting for an R worker to start: %w", ctx.Err())
}

// pruneDeadLocked drops idle workers whose process has exited.
func (p *Pool) pruneDeadLocked() {
	kept := p.idle[:0]
	for _, w := range p.idle {
		if w.alive() {
			kept = append(kept, w)
			continue
		}
		p.cfg.Logger.Warn("idle R worker died; replacing it", "worker", w.id, "exit", w.exitDescription())
		go w.destroy("died while idle")
	}
	p.idle = kept
}

// takeIdleLocked removes and returns an idle worker of the profile.
func (p *Pool) takeIdleLocked(prof profile) *worker {
	for i := len(p.idle) - 1; i >= 0; i-- {
		if w := p.idle[i]; w.profile == prof {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return w
		}
	}
	return nil
}

// Acquire binds a worker to a new session. It takes a warm worker when one
// is idle, starts one when the pool has room (making room by retiring an
// idle worker of another profile if needed), and otherwise waits for room
// until ctx ends.
func (p *Pool) Acquire(ctx context.Context, b Binding) (*Session, error) {
	b.Limits = b.Limits.Capped(p.cfg.MaxLimits)
	if err := b.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("session limits: %w", err)
	}
	bp, err := b.prepare()
	if err != nil {
		return nil, err
	}
	if bp.prof.Sockets {
		if err := p.l.egressCapable(); err != nil {
			return nil, err
		}
	}
	prof := bp.prof
	// Sessions that must wait for room are served first come, first served:
	// once anyone waits, newcomers queue too, and only the waiter holding
	// the turn (p.turn, whose blocked senders Go serves in order) may take
	// what frees up.
	queued, haveTurn := false, false
	leave := func() {
		if haveTurn {
			<-p.turn
			haveTurn = false
		}
		if queued {
			p.mu.Lock()
			p.waiting--
			p.mu.Unlock()
			queued = false
		}
	}
	defer leave()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		p.demand[prof] = &demandEntry{last: time.Now(), bp: bp}
		p.pruneDeadLocked()
		var evict, w *worker
		cold := false
		if p.waiting == 0 || haveTurn {
			w = p.takeIdleLocked(prof)
			switch {
			case w != nil:
				p.busy++
			case p.liveLocked() < p.cfg.Max:
				p.starting[prof]++
				cold = true
			case len(p.idle) > 0:
				// Full, but with idle workers of other profiles: trade one.
				evict = p.idle[0]
				p.idle = p.idle[1:]
				p.starting[prof]++
				cold = true
			}
		}
		if w == nil && !cold && !queued {
			p.waiting++
			queued = true
		}
		changed := p.changed
		p.mu.Unlock()

		if evict != nil {
			evict.destroy("making room for another limits profile")
		}
		if w == nil && !cold {
			if !haveTurn {
				select {
				case <-ctx.Done():
					return nil, fmt.Errorf("waiting for an R worker (all %d busy): %w", p.cfg.Max, ctx.Err())
				case p.turn <- struct{}{}:
					haveTurn = true
					continue
				}
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("waiting for an R worker (all %d busy): %w", p.cfg.Max, ctx.Err())
			case <-changed:
				continue
			}
		}
		leave()
		p.kick() // replace what this session takes
		if cold {
			var err error
			if w, err = p.startForSession(ctx, bp); err != nil {
				return nil, err
			}
		}
		// A warm worker is already bound; one that died while idle is
		// replaced by the next round.
		if !w.alive() || !w.cpu.running() {
			p.retire(w, "died while idle")
			continue
		}
		return &Session{pool: p, w: w, binding: b, started: time.Now(), serial: p.sessions.Add(1)}, nil
	}
}

// retire destroys a busy worker and frees its place.
func (p *Pool) retire(w *worker, reason string) {
	w.destroy(reason)
	p.mu.Lock()
	p.busy--
	p.notifyLocked()
	p.mu.Unlock()
	p.kick()
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PoolStats{Idle: len(p.idle), Busy: p.busy, Starting: p.startingLocked(),
		Started: p.started, Failed: p.failed, LastStartError: p.lastErr, Abandoned: p.abandoned}
	if fs := p.l.fork; fs != nil {
		st.Forks, st.ForkFailures, st.TemplateStarts = fs.forks.Load(), fs.forkFailures.Load(), fs.templateStarts.Load()
		st.Templates = fs.running()
	}
	return st
}

// Healthy reports whether workers can be started: nil unless the most
// recent start failed.
func (p *Pool) Healthy() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr != nil {
		return fmt.Errorf("cannot start R workers: %w", p.lastErr)
	}
	return nil
}

// Close stops refilling and destroys idle workers. Sessions still open keep
// their workers until they are closed; the caller closes them (or rwarden
// exits and the parent-death signal takes them).
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.notifyLocked()
	p.mu.Unlock()
	p.stopLoop()
	<-p.loopDone
	for _, w := range idle {
		w.destroy("pool closed")
	}
	if p.l.fork != nil {
		p.l.fork.close()
	}
	p.l.lock.Close()
}
