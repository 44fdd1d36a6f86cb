package auth

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"
)

// LimiterConfig tunes the failed-login Limiter.
type LimiterConfig struct {
	// BaseDelay is the wait imposed after the first failure; each further
	// failure doubles it, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// DecayInterval is how long it takes for one recorded failure to be
	// forgotten; a key with no failures left is dropped.
	DecayInterval time.Duration
	// MaxEntries bounds the tracked users and, separately, the tracked
	// addresses; beyond it the least recently failed entry is evicted.
	MaxEntries int
	// Now is the clock; tests inject a fake one.
	Now func() time.Time
}

// DefaultLimiterConfig returns 250ms doubling to 30s, one failure forgiven
// per minute, 100,000 users and 100,000 addresses tracked (a few MiB).
// A guesser at the cap gets about two tries a minute per user and per
// address; a legitimate user who mistypes waits a fraction of a second.
func DefaultLimiterConfig() LimiterConfig {
	return LimiterConfig{
		BaseDelay:     250 * time.Millisecond,
		MaxDelay:      30 * time.Second,
		DecayInterval: time.Minute,
		MaxEntries:    100_000,
		Now:           time.Now,
	}
}

// Limiter slows down password guessing. It tracks recent failures per user
// name (against guessing one account from many addresses) and per source
// address (against one address guessing many accounts), and after n failures
// on a key refuses attempts on it until BaseDelay*2^(n-1) (capped) has passed
// since the last failure. Delays rather than lock-outs keep an attacker from
// locking a real user out for long. Memory is bounded by MaxEntries.
// A Limiter is safe for concurrent use.
type Limiter struct {
	cfg   LimiterConfig
	mu    sync.Mutex
	users *lru
	addrs *lru
}

// NewLimiter returns a Limiter; zero fields of cfg take their defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	d := DefaultLimiterConfig()
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = d.BaseDelay
	}
	if cfg.MaxDelay < cfg.BaseDelay {
		cfg.MaxDelay = max(d.MaxDelay, cfg.BaseDelay)
	}
	if cfg.DecayInterval <= 0 {
		cfg.DecayInterval = d.DecayInterval
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = d.MaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	return &Limiter{cfg: cfg, users: newLRU(cfg.MaxEntries), addrs: newLRU(cfg.MaxEntries)}
}

// Check reports whether an attempt for user from addr may go ahead now; if
// not, retryAfter is how long until it may. Empty user or addr skip that key.
// Call it before Store.Verify so that a refused attempt costs no argon2.
func (l *Limiter) Check(user, addr string) (retryAfter time.Duration, ok bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if user != "" {
		retryAfter = max(retryAfter, l.wait(l.users, user, now))
	}
	if a := addrKey(addr); a != "" {
		retryAfter = max(retryAfter, l.wait(l.addrs, a, now))
	}
	return retryAfter, retryAfter == 0
}

// Failure records a failed attempt for user from addr.
func (l *Limiter) Failure(user, addr string) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if user != "" {
		l.fail(l.users, user, now)
	}
	if a := addrKey(addr); a != "" {
		l.fail(l.addrs, a, now)
	}
}

// Success forgets the user's failures. The address keeps its record: one
// valid account must not let an address reset its counter between guesses
// at other accounts; it decays instead.
func (l *Limiter) Success(user, addr string) {
	_ = addr
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users.remove(user)
}

// decayed returns e's failure count as of now.
func (l *Limiter) decayed(e *limitEntry, now time.Time) int {
	elapsed := now.Sub(e.last)
	if elapsed <= 0 {
		return e.failures
	}
	forgiven := elapsed / l.cfg.DecayInterval
	if forgiven >= time.Duration(e.failures) {
		return 0
	}
	return e.failures - int(forgiven)
}

// delay is the wait after n failures: BaseDelay*2^(n-1), capped.
func (l *Limiter) delay(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := l.cfg.BaseDelay
	for i := 1; i < n && d < l.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.cfg.MaxDelay)
}

// wait returns how long key must still wait at now.
func (l *Limiter) wait(c *lru, key string, now time.Time) time.Duration {
	e := c.get(key)
	if e == nil {
		return 0
	}
	n := l.decayed(e, now)
	if n == 0 {
		c.remove(key)
		return 0
	}
	return max(e.last.Add(l.delay(n)).Sub(now), 0)
}

// fail records one failure on key at now.
func (l *Limiter) fail(c *lru, key string, now time.Time) {
	e := c.get(key)
	if e == nil {
		c.put(key, &limitEntry{failures: 1, last: now})
		return
	}
	// Decay first so old failures do not count in full, and keep the count
	// small: beyond the cap more failures change nothing but decay time.
	e.failures = min(l.decayed(e, now)+1, 64)
	e.last = now
	c.touch(key)
}

// addrKey normalizes a source address: the port is dropped (a new
// connection gets a new one) and IPv6 addresses are grouped by /64, since
// one host usually has a whole /64 to pick from.
func addrKey(addr string) string {
	if addr == "" {
		return ""
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// limitEntry is the failure record of one key.
type limitEntry struct {
	key      string
	failures int
	last     time.Time
}

// lru is a map with least-recently-updated eviction.
type lru struct {
	max   int
	order *list.List // front = most recently updated
	items map[string]*list.Element
}

func newLRU(maxEntries int) *lru {
	return &lru{max: maxEntries, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(key string) *limitEntry {
	if el, ok := c.items[key]; ok {
		return el.Value.(*limitEntry)
	}
	return nil
}

func (c *lru) put(key string, e *limitEntry) {
	e.key = key
	c.items[key] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*limitEntry).key)
	}
}

func (c *lru) touch(key string) {
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
	}
}

func (c *lru) remove(key string) {
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

// len returns the number of tracked keys (tests).
func (c *lru) len() int { return c.order.Len() }
