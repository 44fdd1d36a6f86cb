package core

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

func TestResolveLimits(t *testing.T) {
	dur := func(d time.Duration) *config.Duration { v := config.Duration(d); return &v }
	size := func(s config.Size) *config.Size { return &s }
	n := func(i int) *int { return &i }
	c := &config.Config{Limits: config.LimitsConfig{
		Default: config.LimitSet{Wall: dur(20 * time.Second)},
		Roles: map[string]config.LimitSet{
			"restricted": {Wall: dur(5 * time.Second), Memory: size(512 << 20), Sessions: n(1), Idle: dur(time.Minute)},
			"analyst":    {Wall: dur(2 * time.Minute), Memory: size(4 << 30), Output: size(16 << 20)},
			"admin":      {Wall: dur(10 * time.Minute), Sessions: n(16)},
		},
		Users: map[string]config.LimitSet{"alice": {Memory: size(8 << 30)}, "carol": {Idle: dur(time.Hour)}},
	}}
	def := DefaultLimits()
	with := func(f func(*Limits)) Limits { l := def; l.Wall = 20 * time.Second; f(&l); return l }
	tests := []struct {
		name  string
		user  string
		roles []string
		want  Limits
	}{
		{"no roles: defaults overlaid by limits.default", "bob", nil, with(func(*Limits) {})},
		{"unknown role ignored", "bob", []string{"role:ghost"}, with(func(*Limits) {})},
		// The policy names roles "role:NAME"; the configuration's keys are
		// NAME (the lookup used to miss every role).
		{"a role as the policy names it", "bob", []string{"role:restricted"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Sessions, l.Idle = 5*time.Second, 512<<20, 1, time.Minute
		})},
		{"a role may raise above default", "bob", []string{"analyst"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Output = 2*time.Minute, 4<<30, 16<<20
		})},
		{"several roles: most restrictive per key", "bob", []string{"role:analyst", "role:restricted"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Output, l.Sessions, l.Idle = 5*time.Second, 512<<20, 16<<20, 1, time.Minute
		})},
		{"role order does not matter", "bob", []string{"role:restricted", "role:analyst"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Output, l.Sessions, l.Idle = 5*time.Second, 512<<20, 16<<20, 1, time.Minute
		})},
		{"admin and analyst", "bob", []string{"role:admin", "role:analyst"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Output, l.Sessions = 2*time.Minute, 4<<30, 16<<20, 16
		})},
		{"user override beats roles", "alice", []string{"role:restricted"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Sessions, l.Idle = 5*time.Second, 8<<30, 1, time.Minute
		})},
		{"a user's idle limit beats the role's", "carol", []string{"role:restricted"}, with(func(l *Limits) {
			l.Wall, l.Memory, l.Sessions, l.Idle = 5*time.Second, 512<<20, 1, time.Hour
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ResolveLimits(c, tc.user, tc.roles))
		})
	}
}

// One set of defaults: the sandbox's, plus the session count.
func TestDefaultLimitsAreTheSandboxes(t *testing.T) {
	assert.Equal(t, sandbox.DefaultLimits(), DefaultLimits().Limits)
	assert.Equal(t, DefaultSessions, DefaultLimits().Sessions)
	assert.Equal(t, DefaultLimits(), ResolveLimits(&config.Config{}, "anyone", nil))
}

// busy_poll: 0s must reach the sandbox as "off", unset as "default".
func TestSandboxBusyPoll(t *testing.T) {
	zero, ms := config.Duration(0), config.Duration(time.Millisecond)
	assert.Negative(t, sandboxBusyPoll(&zero))
	assert.Zero(t, sandboxBusyPoll(nil))
	assert.Equal(t, time.Millisecond, sandboxBusyPoll(&ms))
}

// The example configuration shows every limit with its default: its
// limits.default must be the defaults (one set, defined once).
func TestExampleShowsTheDefaultLimits(t *testing.T) {
	c, err := config.Load("../../docs/rwarden.example.yaml", CheckConfig)
	if !assert.NoError(t, err) {
		return
	}
	assert.Equal(t, DefaultLimits(), ResolveLimits(c, "nobody-in-particular", nil))
}
