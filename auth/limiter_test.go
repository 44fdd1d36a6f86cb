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
		BaseDelay:     250 * time.Millisecond,
		MaxDelay:      4 * time.Second,
		DecayInterval: time.Minute,
		MaxEntries:    maxEntries,
		Now:           clk.now,
	})
	return l, clk
}

func TestLimiterGrowth(t *testing.T) {
	l, _ := newTestLimiter(100)
	wants := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	retry, ok := l.Check("alice", "192.0.2.1:5000")
	require.True(t, ok)
	require.Zero(t, retry)
	for i, want := range wants {
		l.Failure("alice", "192.0.2.1:5000")
		retry, ok := l.Check("alice", "192.0.2.1:5001")
		assert.False(t, ok, "after %d failures", i+1)
		assert.Equal(t, want, retry, "after %d failures", i+1)
	}
}

func TestLimiterWaitsOut(t *testing.T) {
	l, clk := newTestLimiter(100)
	l.Failure("alice", "192.0.2.1")
	l.Failure("alice", "192.0.2.1")
	clk.advance(300 * time.Millisecond)
	retry, ok := l.Check("alice", "192.0.2.1")
	require.False(t, ok)
	assert.Equal(t, 200*time.Millisecond, retry)
	clk.advance(200 * time.Millisecond)
	_, ok = l.Check("alice", "192.0.2.1")
	assert.True(t, ok, "the delay has passed")
}

func TestLimiterDecay(t *testing.T) {
	l, clk := newTestLimiter(100)
	for range 5 {
		l.Failure("alice", "")
	}
	retry, _ := l.Check("alice", "")
	require.Equal(t, 4*time.Second, retry) // 5 failures: 250ms*16 = 4s cap

	// Two minutes later two failures are forgiven: the next one counts as
	// the fourth, not the sixth.
	clk.advance(2 * time.Minute)
	_, ok := l.Check("alice", "")
	require.True(t, ok)
	l.Failure("alice", "")
	retry, _ = l.Check("alice", "")
	assert.Equal(t, 2*time.Second, retry)

	// Long enough and the entry disappears entirely.
	clk.advance(10 * time.Minute)
	_, ok = l.Check("alice", "")
	assert.True(t, ok)
	assert.Zero(t, l.users.len(), "decayed entry dropped")
}

func TestLimiterKeys(t *testing.T) {
	tests := []struct {
		name             string
		failUser, failIP string
		user, ip         string
		limited          bool
	}{
		{"same user other address", "alice", "192.0.2.1:1", "alice", "198.51.100.7:2", true},
		{"other user same address", "alice", "192.0.2.1:1", "bob", "192.0.2.1:9", true},
		{"other user other address", "alice", "192.0.2.1:1", "bob", "198.51.100.7:2", false},
		{"same ipv6 /64", "alice", "[2001:db8::1]:1", "bob", "[2001:db8::ffff:2]:2", true},
		{"other ipv6 /64", "alice", "[2001:db8::1]:1", "bob", "[2001:db8:0:1::1]:2", false},
		{"v4-mapped v6 is v4", "alice", "192.0.2.1:1", "bob", "[::ffff:192.0.2.1]:2", true},
		{"empty user skipped", "", "192.0.2.1:1", "alice", "198.51.100.7:2", false},
		{"empty address skipped", "alice", "", "bob", "", false},
		{"unix socket name", "alice", "@", "bob", "@", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newTestLimiter(100)
			l.Failure(tt.failUser, tt.failIP)
			_, ok := l.Check(tt.user, tt.ip)
			assert.Equal(t, !tt.limited, ok)
		})
	}
}

func TestLimiterSuccess(t *testing.T) {
	l, _ := newTestLimiter(100)
	l.Failure("alice", "192.0.2.1")
	l.Success("alice", "192.0.2.1")
	_, ok := l.Check("alice", "")
	assert.True(t, ok, "success clears the user")
	_, ok = l.Check("", "192.0.2.1")
	assert.False(t, ok, "success does not clear the address")
}

func TestLimiterEviction(t *testing.T) {
	l, clk := newTestLimiter(3)
	for i := range 5 {
		l.Failure(fmt.Sprintf("user%d", i), fmt.Sprintf("192.0.2.%d", i))
		clk.advance(time.Millisecond)
	}
	assert.Equal(t, 3, l.users.len(), "bounded")
	assert.Equal(t, 3, l.addrs.len(), "bounded")
	for i, wantLimited := range []bool{false, false, true, true, true} {
		_, ok := l.Check(fmt.Sprintf("user%d", i), "")
		assert.Equal(t, !wantLimited, ok, "user%d (oldest two evicted)", i)
	}
	// A new failure on an old key refreshes it: user2 survives, user3 goes.
	l.Failure("user2", "")
	l.Failure("user5", "")
	_, ok := l.Check("user2", "")
	assert.False(t, ok)
	_, ok = l.Check("user3", "")
	assert.True(t, ok)
}

func TestLimiterDefaults(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := NewLimiter(LimiterConfig{Now: clk.now})
	d := DefaultLimiterConfig()
	assert.Equal(t, d.BaseDelay, l.cfg.BaseDelay)
	assert.Equal(t, d.MaxDelay, l.cfg.MaxDelay)
	assert.Equal(t, d.DecayInterval, l.cfg.DecayInterval)
	assert.Equal(t, d.MaxEntries, l.cfg.MaxEntries)
	l.Failure("alice", "192.0.2.1")
	retry, ok := l.Check("alice", "192.0.2.1")
	assert.False(t, ok)
	assert.Equal(t, d.BaseDelay, retry)
}
