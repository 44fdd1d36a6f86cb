package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Pool keeps workers warm and hands each session a fresh one. A worker
// serves exactly one session and is destroyed when the session ends.
//
// A worker's memory and session-CPU rlimits are fixed when it starts (see
// initialRlimits), so warm workers are kept per limits profile: always for
// Config.WarmLimits, and for every other profile a session asked for in the
// last profileMemory.
type Pool struct {
	cfg Config
	l   *launcher

	mu       sync.Mutex
	idle     []*worker
	busy     int
	starting map[profile]int
	demand   map[profile]time.Time // last time a session asked for a profile
	closed   bool
	changed  chan struct{} // closed and replaced on every state change
	lastErr  error         // last worker start failure, nil after a success
	started  uint64
	failed   uint64
	refill   chan struct{}
	stopLoop context.CancelFunc
	loopDone chan struct{}
}

// profileMemory is how long a profile that sessions asked for keeps warm
// workers after the last such session.
const profileMemory = 10 * time.Minute

// PoolStats is a snapshot for metrics and health checks.
type PoolStats struct {
	Idle, Busy, Starting int
	Started, Failed      uint64
	LastStartError       error
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
	p := &Pool{cfg: cfg, l: l, changed: make(chan struct{}), refill: make(chan struct{}, 1),
		starting: map[profile]int{}, demand: map[profile]time.Time{},
		stopLoop: cancel, loopDone: make(chan struct{})}
	go p.refillLoop(ctx)
	p.kick()
	return p, nil
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
// first, the configured warm profile always included.
func (p *Pool) wantedLocked() []profile {
	now := time.Now()
	base := profileOf(p.cfg.WarmLimits)
	var out []profile
	for prof, t := range p.demand {
		if now.Sub(t) > profileMemory {
			delete(p.demand, prof)
			continue
		}
		if prof != base {
			out = append(out, prof)
		}
	}
	sort.Slice(out, func(i, j int) bool { return p.demand[out[i]].After(p.demand[out[j]]) })
	return append([]profile{base}, out...)
}

// nextToWarmLocked picks a profile that lacks warm workers and counts its
// start, or reports that nothing is needed.
func (p *Pool) nextToWarmLocked() (profile, bool) {
	if p.closed || p.liveLocked() >= p.cfg.Max {
		return profile{}, false
	}
	for _, prof := range p.wantedLocked() {
		if p.idleOfLocked(prof)+p.starting[prof] < p.cfg.Warm {
			p.starting[prof]++
			return prof, true
		}
	}
	return profile{}, false
}

// refillLoop keeps warm workers, within cfg.Max, and backs off when
// workers fail to start so a broken R does not spin.
func (p *Pool) refillLoop(ctx context.Context) {
	defer close(p.loopDone)
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
		for {
			p.mu.Lock()
			p.pruneDeadLocked()
			prof, need := p.nextToWarmLocked()
			p.mu.Unlock()
			if !need {
				break
			}
			w, err := p.startOne(ctx, prof, false)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				backoff = min(max(2*backoff, 250*time.Millisecond), 30*time.Second)
				p.cfg.Logger.Error("starting a warm R worker failed", "err", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				continue
			}
			backoff = 0
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				w.destroy("pool closed")
				return
			}
			p.idle = append(p.idle, w)
			p.notifyLocked()
			p.mu.Unlock()
		}
	}
}

// startOne starts a worker whose start was already counted in p.starting.
// A worker started for a session is counted busy in the same step, so the
// pool never appears to have more room than it has.
func (p *Pool) startOne(ctx context.Context, prof profile, forSession bool) (*worker, error) {
	w, err := p.l.start(ctx, prof)
	p.mu.Lock()
	p.starting[prof]--
	if p.starting[prof] == 0 {
		delete(p.starting, prof)
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
	prof := profileOf(b.Limits)
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		p.demand[prof] = time.Now()
		p.pruneDeadLocked()
		var evict *worker
		w := p.takeIdleLocked(prof)
		cold := false
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
		changed := p.changed
		p.mu.Unlock()

		if evict != nil {
			evict.destroy("making room for another limits profile")
		}
		if w == nil && !cold {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("waiting for an R worker (all %d busy): %w", p.cfg.Max, ctx.Err())
			case <-changed:
				continue
			}
		}
		p.kick() // replace what this session takes
		if cold {
			var err error
			if w, err = p.startOne(ctx, prof, true); err != nil {
				return nil, err
			}
		}
		if err := w.bind(ctx, b); err != nil {
			p.retire(w, "bind failed")
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if cold {
				return nil, err
			}
			// A warm worker that cannot be bound is broken: try another.
			p.cfg.Logger.Warn("binding a warm R worker failed; trying another", "worker", w.id, "err", err)
			continue
		}
		return &Session{pool: p, w: w, binding: b, started: time.Now()}, nil
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
	return PoolStats{Idle: len(p.idle), Busy: p.busy, Starting: p.startingLocked(),
		Started: p.started, Failed: p.failed, LastStartError: p.lastErr}
}

// Healthy reports whether workers can be started: nil unless the most
// recent start failed.
func (p *Pool) Healthy() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr != nil {
		return fmt.Errorf("R workers cannot be started: %w", p.lastErr)
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
	p.l.lock.Close()
}
