package httpapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/core"
)

func TestOcpuStore(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newOcpuStore()
	s.now = func() time.Time { return now }

	k := s.add(&ocpuResult{user: "alice", stdout: "x"})
	require.Regexp(t, `^x[0-9a-f]{32}$`, k)
	require.NotNil(t, s.get(k, "alice"))
	assert.Nil(t, s.get(k, "bob"), "another user's key is unknown")
	other := k[:len(k)-1] + "0"
	if k[len(k)-1] == '0' {
		other = k[:len(k)-1] + "1"
	}
	assert.Nil(t, s.get(other, "alice"), "a key one digit off is unknown")

	// Expiry.
	now = now.Add(ocpuTTL)
	assert.Nil(t, s.get(k, "alice"), "expired")
	s.add(&ocpuResult{user: "bob"}) // sweeps
	assert.NotContains(t, s.byKey, k)
	assert.NotContains(t, s.byUser, "alice")

	// The count bound: the oldest go first.
	var keys []string
	for range maxOcpuResults + 3 {
		keys = append(keys, s.add(&ocpuResult{user: "alice"}))
	}
	for i, k := range keys {
		if i < 3 {
			assert.Nil(t, s.get(k, "alice"), "result %d pushed out", i)
		} else {
			assert.NotNil(t, s.get(k, "alice"), "result %d kept", i)
		}
	}
	assert.Len(t, s.byUser["alice"], maxOcpuResults)

	// The byte bound, but the newest result is always kept.
	big := &ocpuResult{user: "carol", plots: []core.Plot{{PNG: make([]byte, maxOcpuBytes/2+1)}}}
	k1 := s.add(big)
	k2 := s.add(&ocpuResult{user: "carol", plots: []core.Plot{{PNG: make([]byte, maxOcpuBytes/2+1)}}})
	assert.Nil(t, s.get(k1, "carol"))
	assert.NotNil(t, s.get(k2, "carol"))
	assert.NotNil(t, s.get(keys[len(keys)-1], "alice"), "another user's quota is their own")
}
