package auth

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// LimiterConfig tunes the login Limiter.
type LimiterConfig struct {
	// BaseDelay is the wait imposed after the first failure of a source
	// address or of a (user, address) pair; each further failure doubles
	// it, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// DecayInterval is how long it takes for one recorded failure to be
	// forgotten; a key with no failures left is dropped.
	DecayInterval time.Duration
	// UserGuessesPerMinute and UserGuessBurst are each user's guess bucket:
	// password checks from addresses not trusted for that user take a token
	// from it, so that the guesses at one user are bounded however many
	// addresses the guesser has.
	UserGuessesPerMinute int
	UserGuessBurst       int
	// TrustFor is how long an address where a user logged in successfully
	// stays trusted for that user: it skips the user's guess bucket and the
	// address's own delay (only its (user, address) failures count), so
	// that guessing from elsewhere never refuses the user's correct
	// password there. 0: no address is ever trusted.
	TrustFor time.Duration
	// MaxEntries bounds each table (addresses, pairs, user buckets, users
	// with trusted addresses); beyond it the least recently updated entry
	// is evicted.
	MaxEntries int
	// Now is the clock; tests inject a fake one.
	Now func() time.Time
}

// maxTrustedPerUser bounds the trusted addresses kept per user; the one
// used longest ago goes first.
const maxTrustedPerUser = 16

// DefaultLimiterConfig returns 250ms doubling to 30s, one failure forgiven
// per minute, 5 guesses a minute (bursts of 5) per user from untrusted
// addresses, trust for 30 days, 100,000 entries per table (a few MiB).
// A guesser gets at most 10 checks of one user's password in any minute;
// a legitimate user who mistypes waits a fraction of a second.
func DefaultLimiterConfig() LimiterConfig {
	return LimiterConfig{
		BaseDelay:            250 * time.Millisecond,
		MaxDelay:             30 * time.Second,
		DecayInterval:        time.Minute,
		UserGuessesPerMinute: 5,
		UserGuessBurst:       5,
		TrustFor:             30 * 24 * time.Hour,
		MaxEntries:           100_000,
		Now:                  time.Now,
	}
}

// Which limit refused a login attempt (Refusal.Limit).
const (
	LimitAddress     = "address"          // failures from the source address
	LimitUserAddress = "user and address" // failures at this user from this address
	LimitUser        = "user"             // guesses at this user from untrusted addresses
)

// Refusal is an attempt the Limiter refuses: which limit, and how long
// until it may be tried again.
type Refusal struct {
	Limit string
	Wait  time.Duration
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("login rate limit per %s: retry in %s", r.Limit, r.Wait.Round(time.Millisecond))
}

// Limiter slows down password guessing without handing the guesser a
// lock-out of the real user. It keeps failures per source address (one
// address guessing many accounts) and per (user, address) pair, and after
// n failures on a key refuses attempts on it until BaseDelay*2^(n-1)
// (capped) has passed since the last failure. Guessing one user from many
// addresses is bounded by that user's guess bucket, which only attempts
// from addresses not trusted for the user draw from: an address where the
// user recently logged in successfully keeps working however hard someone
// else guesses. Memory is bounded by MaxEntries per table.
// A Limiter is safe for concurrent use.
type Limiter struct {
	cfg     LimiterConfig
	mu      sync.Mutex
	addrs   *lru[*limitEntry]
	pairs   *lru[*limitEntry]
	buckets *lru[*guessBucket]
	trusted *lru[*trustSet]
}

// NewLimiter returns a Limiter; zero fields of cfg take their defaults
// (TrustFor: zero stays zero, no trust).
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
	if cfg.UserGuessesPerMinute <= 0 {
		cfg.UserGuessesPerMinute = d.UserGuessesPerMinute
	}
	if cfg.UserGuessBurst <= 0 {
		cfg.UserGuessBurst = d.UserGuessBurst
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = d.MaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	return &Limiter{cfg: cfg, addrs: newLRU[*limitEntry](cfg.MaxEntries), pairs: newLRU[*limitEntry](cfg.MaxEntries),
		buckets: newLRU[*guessBucket](cfg.MaxEntries), trusted: newLRU[*trustSet](cfg.MaxEntries)}
}

// Attempt is a login attempt the Limiter let through. Exactly one of
// Failed, Succeeded or Abandon must follow.
type Attempt struct {
	l       *Limiter
	user    string
	addr    string // addrKey form
	charged bool   // took a token from the user's guess bucket
}

// Begin decides whether an attempt for user from addr may go ahead now;
// call it before Store.Verify so that a refused attempt costs no argon2.
// An attempt from an address not trusted for user takes a token from the
// user's guess bucket at once (concurrent attempts cannot all slip in
// before the first fails). Empty user or addr skip their keys.
func (l *Limiter) Begin(user, addr string) (*Attempt, *Refusal) {
	now := l.cfg.Now()
	a := addrKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	trusted := l.isTrusted(user, a, now)
	var ref Refusal
	worse := func(limit string, wait time.Duration) {
		if wait > ref.Wait {
			ref = Refusal{Limit: limit, Wait: wait}
		}
	}
	if a != "" && !trusted {
		worse(LimitAddress, l.wait(l.addrs, a, now))
	}
	if user != "" && a != "" {
		worse(LimitUserAddress, l.wait(l.pairs, pairKey(user, a), now))
	}
	if user != "" && !trusted {
		// A refused attempt creates no bucket: otherwise refused attempts
		// at made-up names could evict a real user's emptied bucket (and
		// so refill it) at no cost.
		if b := l.buckets.get(user); b != nil {
			l.refill(b, now)
			if b.tokens < 1 {
				perToken := time.Minute / time.Duration(l.cfg.UserGuessesPerMinute)
				worse(LimitUser, max(time.Duration((1-b.tokens)*float64(perToken)), time.Millisecond))
			}
		}
	}
	if ref.Wait > 0 {
		return nil, &ref
	}
	at := &Attempt{l: l, user: user, addr: a}
	if user != "" && !trusted {
		b := l.bucket(user, now)
		b.tokens--
		at.charged = true
	}
	return at, nil
}

// Failed records a wrong password (or any failure after the check): the
// address and the (user, address) pair wait longer; the guess stays
// taken from the user's bucket.
func (at *Attempt) Failed() {
	l := at.l
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if at.addr != "" {
		l.fail(l.addrs, at.addr, now)
		if at.user != "" {
			l.fail(l.pairs, pairKey(at.user, at.addr), now)
		}
	}
}

// Succeeded records a correct password: the pair's failures are forgotten,
// the guess is given back, and the address becomes trusted for the user.
// The address keeps its own failures: one valid account must not let an
// address reset its counter between guesses at other accounts.
func (at *Attempt) Succeeded() {
	l := at.l
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refund(at)
	if at.user == "" || at.addr == "" {
		return
	}
	l.pairs.remove(pairKey(at.user, at.addr))
	if l.cfg.TrustFor > 0 {
		ts := l.trusted.get(at.user)
		if ts == nil {
			ts = &trustSet{}
			l.trusted.put(at.user, ts)
		}
		ts.add(at.addr, now.Add(l.cfg.TrustFor))
		l.trusted.touch(at.user)
	}
}

// Abandon gives the guess back: the password was never checked (the
// argon2 queue was full).
func (at *Attempt) Abandon() {
	at.l.mu.Lock()
	defer at.l.mu.Unlock()
	at.l.refund(at)
}

func (l *Limiter) refund(at *Attempt) {
	if !at.charged {
		return
	}
	at.charged = false
	if b := l.buckets.get(at.user); b != nil {
		b.tokens = min(b.tokens+1, float64(l.cfg.UserGuessBurst))
	}
}

func (l *Limiter) isTrusted(user, a string, now time.Time) bool {
	if user == "" || a == "" || l.cfg.TrustFor <= 0 {
		return false
	}
	ts := l.trusted.get(user)
	return ts != nil && ts.has(a, now)
}

// bucket returns user's guess bucket refilled up to now, creating a full
// one if there is none.
func (l *Limiter) bucket(user string, now time.Time) *guessBucket {
	b := l.buckets.get(user)
	if b == nil {
		b = &guessBucket{tokens: float64(l.cfg.UserGuessBurst), last: now}
		l.buckets.put(user, b)
		return b
	}
	l.refill(b, now)
	l.buckets.touch(user)
	return b
}

func (l *Limiter) refill(b *guessBucket, now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(float64(l.cfg.UserGuessBurst), b.tokens+el.Minutes()*float64(l.cfg.UserGuessesPerMinute))
		b.last = now
	}
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
func (l *Limiter) wait(c *lru[*limitEntry], key string, now time.Time) time.Duration {
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
func (l *Limiter) fail(c *lru[*limitEntry], key string, now time.Time) {
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

// pairKey is the key of a (user, address) pair; NUL is in neither.
func pairKey(user, a string) string { return user + "\x00" + a }

// AddrKey is the form of a source address the limits key on (exported for
// the request limits and audit aggregation of the proxy).
func AddrKey(addr string) string { return addrKey(addr) }

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
	failures int
	last     time.Time
}

// guessBucket is a user's token bucket of guesses from untrusted addresses.
type guessBucket struct {
	tokens float64
	last   time.Time
}

// trustSet is the addresses trusted for one user, each until a time.
type trustSet struct {
	addrs []trustedAddr
}

type trustedAddr struct {
	addr  string
	until time.Time
}

func (s *trustSet) has(a string, now time.Time) bool {
	for _, t := range s.addrs {
		if t.addr == a {
			return now.Before(t.until)
		}
	}
	return false
}

// add trusts a until the given time, dropping the entry that expires
// first when the set is full.
func (s *trustSet) add(a string, until time.Time) {
	for i := range s.addrs {
		if s.addrs[i].addr == a {
			s.addrs[i].until = until
			return
		}
	}
	if len(s.addrs) < maxTrustedPerUser {
		s.addrs = append(s.addrs, trustedAddr{a, until})
		return
	}
	oldest := 0
	for i := range s.addrs {
		if s.addrs[i].until.Before(s.addrs[oldest].until) {
			oldest = i
		}
	}
	s.addrs[oldest] = trustedAddr{a, until}
}
