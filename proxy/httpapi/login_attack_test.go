package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestAttackPasswordGuessingOverKeepAlive: guessing alice's password over
// one keep-alive connection meets the same login limiter as every other
// front end: after the per-user burst the guesses are answered 429
// without being checked, and the successful-login cache of the connection
// never answers a wrong password.
func TestAttackPasswordGuessingOverKeepAlive(t *testing.T) {
	a := startAPI(t, nil)
	// A successful login first: the connection's cache holds alice.
	code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "1"})
	assert.Equal(t, http.StatusOK, code, "%s", body)
	counts := map[int]int{}
	start := time.Now()
	for i := range 12 {
		code, _, _ := a.do(t, nil, &creds{"alice", fmt.Sprintf("guess-%d", i)}, "POST", "/v1/eval", map[string]any{"code": "1"})
		counts[code]++
	}
	t.Logf("answers %v in %v", counts, time.Since(start))
	assert.Zero(t, counts[http.StatusOK], "no wrong password is let in")
	assert.Positive(t, counts[http.StatusTooManyRequests], "the limiter answers 429")
	assert.LessOrEqual(t, counts[http.StatusUnauthorized], 6, "at most the burst of guesses is checked")
}
