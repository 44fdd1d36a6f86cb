package core

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// The login limits in the core: which limit refuses, with which text, that
// a refused attempt costs no password check, that alice's address with a
// good history is never refused, and that the refusals are aggregated in
// the trail.
func TestAuthenticateThrottle(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	require.NoError(t, auth.AddUser(cfg.UsersFile, "alice", []byte("wonderland-42"), cheapArgon))
	c := openCore(t, cfg)
	ctx := context.Background()
	peer := func(addr string) Peer { return Peer{Remote: addr, Listener: "127.0.0.1:9443", Protocol: "test"} }
	login := func(addr, user, pass string) *AuthError {
		_, err := c.Authenticate(ctx, peer(addr), &Credentials{User: user, Password: []byte(pass)})
		if err == nil {
			return nil
		}
		var ae *AuthError
		require.ErrorAs(t, err, &ae)
		return ae
	}
	checks := func(result string) float64 { return counterValue(t, c.metrics.passwordChecks.WithLabelValues(result)) }

	require.Nil(t, login("198.51.100.1:1000", "alice", "wonderland-42"), "alice's good history")

	// A guesser from one address meets the address limit at once.
	require.Equal(t, "bad credentials", login("192.0.2.1:1", "alice", "guess").Reason)
	ae := login("192.0.2.1:2", "bob", "guess")
	require.NotNil(t, ae)
	assert.True(t, ae.RateLimited)
	assert.Contains(t, ae.Message, "too many failed logins from this address (limit per address); try again in")

	// From many addresses: 5 guesses are checked (the first above was one),
	// then the per-user bucket refuses without a check; alice at her
	// address is not refused, and her logins are checked.
	for i := range 4 {
		require.Equal(t, "bad credentials", login(fmt.Sprintf("192.0.2.%d:1", 10+i), "alice", "guess").Reason)
	}
	before := checks("failure")
	for i := range 20 {
		ae := login(fmt.Sprintf("192.0.2.%d:1", 20+i), "alice", "guess")
		require.NotNil(t, ae)
		require.True(t, ae.RateLimited, ae.Reason)
		assert.Contains(t, ae.Message, "(limit per user)")
		require.Nil(t, login("198.51.100.1:2000", "alice", "wonderland-42"), "alice refused")
	}
	assert.Equal(t, before, checks("failure"), "refused guesses are not checked")
	assert.Equal(t, 5.0, checks("failure"))
	assert.Equal(t, 21.0, checks("success"))
	assert.Equal(t, 20.0, counterValue(t, c.metrics.loginsLimited.WithLabelValues(auth.LimitUser)))

	// Another new address with the right password competes with the
	// guesser: refused, and told what to do.
	ae = login("203.0.113.9:1", "alice", "wonderland-42")
	require.NotNil(t, ae)
	assert.Contains(t, ae.Message, "from an address where you logged in before")

	// The guesser's first address keeps trying: 10 more refusals.
	for range 10 {
		require.NotNil(t, login("192.0.2.1:3", "alice", "guess"))
	}

	// In the trail: per address the first full_records (5) refusals in
	// full, the rest in one summary at the end of the window (here: as at
	// shutdown).
	c.flood.flush(true)
	var rateLimited, aggregated int
	_, err := audit.Query([]string{cfg.Audit.File}, audit.Filter{Event: audit.EventAuth}, func(r *audit.Record) error {
		if r.Status == audit.StatusRateLimited {
			rateLimited++
			if n, ok := r.Detail["aggregated"]; ok {
				v, _ := strconv.Atoi(n)
				aggregated += v
			}
		}
		return nil
	})
	require.NoError(t, err)
	// 20 rotating addresses and 203.0.113.9 once each; 192.0.2.1: 5 in
	// full and a summary of the other 6.
	assert.Equal(t, 27, rateLimited)
	assert.Equal(t, 6, aggregated)
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}
