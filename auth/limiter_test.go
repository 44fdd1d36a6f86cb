package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a manually advanced clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(maxEntries int) (*Limiter, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(LimiterConfig{
		BaseDelay:            250 * time.Millisecond,
		MaxDelay:             4 * time.Second,
		DecayInterval:        time.Minute,
		UserGuessesPerMinute: 5,
		UserGuessBurst:       5,
		TrustFor:             time.Hour,
		MaxEntries:           maxEntries,
		Now:                  clk.now,
	})
	return l, clk
}

// fail is one checked, wrong attempt; it requires the limiter to let it
// through.
func fail(t *testing.T, l *Limiter, user, addr string) {
	t.Helper()
	at, ref := l.Begin(user, addr)
	require.Nil(t, ref, "attempt %s from %s refused", user, addr)
	at.Failed()
}

func succeed(t *testing.T, l *Limiter, user, addr string) {
	t.Helper()
	at, ref := l.Begin(user, addr)
	require.Nil(t, ref, "attempt %s from %s refused", user, addr)
	at.Succeeded()
}

// check begins and abandons an attempt, returning the refusal if any.
func check(l *Limiter, user, addr string) *Refusal {
	at, ref := l.Begin(user, addr)
	if at != nil {
		at.Abandon()
	}
	return ref
}

func TestLimiterGrowth(t *testing.T) {
	l, clk := newTestLimiter(100)
	wants := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	require.Nil(t, check(l, "", "192.0.2.1:5000"))
	for i, want := range wants {
		fail(t, l, fmt.Sprintf("u%d", i), "192.0.2.1:5000")
		ref := check(l, "someone", "192.0.2.1:5001")
		require.NotNil(t, ref, "after %d failures", i+1)
		assert.Equal(t, want, ref.Wait, "after %d failures", i+1)
		assert.Equal(t, LimitAddress, ref.Limit)
		clk.advance(want)
	}
}

func TestLimiterWaitsOut(t *testing.T) {
	l, clk := newTestLimiter(100)
	fail(t, l, "alice", "192.0.2.1")
	clk.advance(250 * time.Millisecond)
	fail(t, l, "alice", "192.0.2.1")
	clk.advance(300 * time.Millisecond)
	ref := check(l, "alice", "192.0.2.1")
	require.NotNil(t, ref)
	assert.Equal(t, 200*time.Millisecond, ref.Wait)
	clk.advance(200 * time.Millisecond)
	assert.Nil(t, check(l, "alice", "192.0.2.1"), "the delay has passed")
}

func TestLimiterDecay(t *testing.T) {
	l, clk := newTestLimiter(100)
	for range 5 {
		fail(t, l, "", "192.0.2.1")
		clk.advance(5 * time.Second)
	}
	clk.advance(-5 * time.Second)
	ref := check(l, "", "192.0.2.1")
	require.NotNil(t, ref)
	require.Equal(t, 4*time.Second, ref.Wait) // 5 failures: 250ms*16 = 4s cap

	// Two minutes later two failures are forgiven: the next one counts as
	// the fourth, not the sixth.
	clk.advance(2 * time.Minute)
	fail(t, l, "", "192.0.2.1")
	ref = check(l, "", "192.0.2.1")
	require.NotNil(t, ref)
	assert.Equal(t, 2*time.Second, ref.Wait)

	// Long enough and the entry disappears entirely.
	clk.advance(10 * time.Minute)
	assert.Nil(t, check(l, "", "192.0.2.1"))
	assert.Zero(t, l.addrs.len(), "decayed entry dropped")
}

func TestLimiterKeys(t *testing.T) {
	tests := []struct {
		name             string
		failUser, failIP string
		user, ip         string
		limit            string // "" not limited
	}{
		{"same user other address", "alice", "192.0.2.1:1", "alice", "198.51.100.7:2", ""},
		{"same user same address", "alice", "192.0.2.1:1", "alice", "192.0.2.1:2", LimitAddress},
		{"other user same address", "alice", "192.0.2.1:1", "bob", "192.0.2.1:9", LimitAddress},
		{"other user other address", "alice", "192.0.2.1:1", "bob", "198.51.100.7:2", ""},
		{"same ipv6 /64", "alice", "[2001:db8::1]:1", "bob", "[2001:db8::ffff:2]:2", LimitAddress},
		{"other ipv6 /64", "alice", "[2001:db8::1]:1", "bob", "[2001:db8:0:1::1]:2", ""},
		{"v4-mapped v6 is v4", "alice", "192.0.2.1:1", "bob", "[::ffff:192.0.2.1]:2", LimitAddress},
		{"empty user skipped", "", "192.0.2.1:1", "alice", "198.51.100.7:2", ""},
		{"empty address skipped", "alice", "", "bob", "", ""},
		{"unix socket name", "alice", "@", "bob", "@", LimitAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newTestLimiter(100)
			fail(t, l, tt.failUser, tt.failIP)
			ref := check(l, tt.user, tt.ip)
			if tt.limit == "" {
				assert.Nil(t, ref)
				return
			}
			require.NotNil(t, ref)
			assert.Equal(t, tt.limit, ref.Limit)
		})
	}
}

// The guess bucket bounds the checks of one user's password from many
// addresses: burst, then the refill rate, whatever the number of
// addresses; a refused attempt takes nothing.
func TestLimiterUserBucket(t *testing.T) {
	l, clk := newTestLimiter(1000)
	for i := range 5 {
		fail(t, l, "alice", fmt.Sprintf("192.0.2.%d", i+1))
	}
	ref := check(l, "alice", "192.0.2.100")
	require.NotNil(t, ref, "bucket empty after the burst")
	assert.Equal(t, LimitUser, ref.Limit)
	assert.Equal(t, 12*time.Second, ref.Wait, "5 a minute: one token every 12s")
	assert.Nil(t, check(l, "bob", "192.0.2.100"), "another user's bucket is full")

	clk.advance(12 * time.Second)
	fail(t, l, "alice", "192.0.2.50")
	require.NotNil(t, check(l, "alice", "192.0.2.51"), "one token per 12s")

	// Abandon and Succeeded give the token back.
	clk.advance(12 * time.Second)
	at, r := l.Begin("alice", "192.0.2.60")
	require.Nil(t, r)
	at.Abandon()
	at, r = l.Begin("alice", "192.0.2.61")
	require.Nil(t, r)
	at.Succeeded()
	fail(t, l, "alice", "192.0.2.62")
	assert.NotNil(t, check(l, "alice", "192.0.2.63"))
}

// A trusted address (a success as that user within TrustFor) skips the
// user's bucket and its own address delay, but not its pair's failures.
func TestLimiterTrustedAddress(t *testing.T) {
	l, clk := newTestLimiter(1000)
	home := "198.51.100.7:4000"
	succeed(t, l, "alice", home)
	for i := range 5 {
		fail(t, l, "alice", fmt.Sprintf("192.0.2.%d:1", i+1))
	}
	require.NotNil(t, check(l, "alice", "192.0.2.99:1"), "untrusted: bucket empty")
	assert.Nil(t, check(l, "alice", "198.51.100.7:5000"), "trusted address, new port")

	// Someone else at home guessing bob: home is delayed for bob, not alice.
	fail(t, l, "bob", home)
	require.NotNil(t, check(l, "bob", home))
	assert.Nil(t, check(l, "alice", home))

	// Alice's own failures at home still slow her down there.
	fail(t, l, "alice", home)
	ref := check(l, "alice", home)
	require.NotNil(t, ref)
	assert.Equal(t, LimitUserAddress, ref.Limit)
	clk.advance(250 * time.Millisecond)
	succeed(t, l, "alice", home)
	assert.Nil(t, check(l, "alice", home), "success clears the pair")

	// Trust expires.
	clk.advance(time.Hour + time.Second)
	for i := range 5 {
		fail(t, l, "alice", fmt.Sprintf("192.0.3.%d:1", i+1))
	}
	ref = check(l, "alice", home)
	require.NotNil(t, ref, "trust expired: the bucket applies")
	assert.Equal(t, LimitUser, ref.Limit)
}

// Acceptance 1 in the limiter's terms: 50 rotating addresses guessing as
// fast as the limiter lets them for 60 s get at most 10 checks, and the
// user's trusted address is never refused.
func TestLimiterRotatingGuesser(t *testing.T) {
	l, clk := newTestLimiter(1000)
	succeed(t, l, "alice", "127.0.0.1:1")
	checked := 0
	for step := range 60 * 20 { // 20 attempts a second
		addr := fmt.Sprintf("127.0.0.%d:%d", 2+step%50, 1000+step)
		if at, ref := l.Begin("alice", addr); ref == nil {
			checked++
			at.Failed()
		}
		if step%20 == 0 {
			at, ref := l.Begin("alice", "127.0.0.1:2")
			require.Nil(t, ref, "alice refused at %s", clk.t)
			at.Succeeded()
		}
		clk.advance(50 * time.Millisecond)
	}
	assert.LessOrEqual(t, checked, 10)
	assert.GreaterOrEqual(t, checked, 5, "the burst is allowed")
}

func TestLimiterEviction(t *testing.T) {
	l, clk := newTestLimiter(3)
	for i := range 5 {
		fail(t, l, fmt.Sprintf("user%d", i), fmt.Sprintf("192.0.2.%d", i))
		clk.advance(time.Millisecond)
	}
	assert.Equal(t, 3, l.addrs.len(), "bounded")
	assert.Equal(t, 3, l.pairs.len(), "bounded")
	assert.Equal(t, 3, l.buckets.len(), "bounded")
	for i, wantLimited := range []bool{false, false, true, true, true} {
		ref := check(l, "", fmt.Sprintf("192.0.2.%d", i))
		assert.Equal(t, wantLimited, ref != nil, "address %d (oldest two evicted)", i)
	}
}

func TestLimiterTrustBounded(t *testing.T) {
	l, _ := newTestLimiter(100)
	for i := range maxTrustedPerUser + 4 {
		succeed(t, l, "alice", fmt.Sprintf("192.0.2.%d", i))
	}
	assert.Len(t, l.trusted.get("alice").addrs, maxTrustedPerUser)
}

func TestLimiterDefaults(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := NewLimiter(LimiterConfig{Now: clk.now})
	d := DefaultLimiterConfig()
	assert.Equal(t, d.BaseDelay, l.cfg.BaseDelay)
	assert.Equal(t, d.MaxDelay, l.cfg.MaxDelay)
	assert.Equal(t, d.DecayInterval, l.cfg.DecayInterval)
	assert.Equal(t, d.MaxEntries, l.cfg.MaxEntries)
	assert.Equal(t, d.UserGuessBurst, l.cfg.UserGuessBurst)
	assert.Zero(t, l.cfg.TrustFor, "no trust unless asked")
	fail(t, l, "alice", "192.0.2.1")
	ref := check(l, "alice", "192.0.2.1")
	require.NotNil(t, ref)
	assert.Equal(t, d.BaseDelay, ref.Wait)
	assert.Contains(t, ref.Error(), "per address")
}

// Refused attempts at made-up names create no buckets, so they cannot
// evict (and so refill) a real user's emptied bucket.
func TestLimiterRefusedAttemptsCreateNoBuckets(t *testing.T) {
	l, _ := newTestLimiter(10)
	for i := range 5 {
		fail(t, l, "alice", fmt.Sprintf("192.0.2.%d", i+1))
	}
	require.NotNil(t, check(l, "alice", "192.0.2.99"))
	// 192.0.2.1 is now delayed: its attempts at 1,000 other names are
	// refused by the address limit.
	for i := range 1000 {
		require.NotNil(t, check(l, fmt.Sprintf("name%d", i), "192.0.2.1"))
	}
	ref := check(l, "alice", "192.0.2.98")
	require.NotNil(t, ref, "alice's bucket is still empty")
	assert.Equal(t, LimitUser, ref.Limit)
}
