package core

import (
	"fmt"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
)

// Which request limit refused an evaluation (metrics label, refusal text).
const (
	limitEvaluations = "evaluations"
	limitDenials     = "denials"
)

// requestLimiter holds, per user (an anonymous user: per user and source
// address), two token buckets: evaluation requests, and requests that were
// denied by the policy or did not parse. A client flooding denied code
// empties the second and is refused outright until it refills, so that
// neither the policy check nor the audit trail pays for the flood.
type requestLimiter struct {
	cfg     config.RequestThrottle
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*requestBuckets
}

type requestBuckets struct {
	evals, denials float64
	last           time.Time
}

// requestMaxKeys bounds the table; beyond it, keys whose buckets are full
// again (as good as absent) are dropped first, then a random one.
const requestMaxKeys = 100_000

func newRequestLimiter(cfg config.RequestThrottle) *requestLimiter {
	d := config.DefaultThrottle().Requests
	if cfg.EvaluationsPerMinute <= 0 || cfg.EvaluationBurst <= 0 {
		cfg.EvaluationsPerMinute, cfg.EvaluationBurst = d.EvaluationsPerMinute, d.EvaluationBurst
	}
	if cfg.DenialsPerMinute <= 0 || cfg.DenialBurst <= 0 {
		cfg.DenialsPerMinute, cfg.DenialBurst = d.DenialsPerMinute, d.DenialBurst
	}
	return &requestLimiter{cfg: cfg, maxKeys: requestMaxKeys, now: time.Now, keys: map[string]*requestBuckets{}}
}

// rateRefusal says which request limit was hit and when to retry.
type rateRefusal struct {
	limit string
	wait  time.Duration
}

// take lets one evaluation request of key through, or says which limit
// refuses it.
func (r *requestLimiter) take(key string) *rateRefusal {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bucketsLocked(key)
	if ref := r.refusal(b); ref != nil {
		return ref
	}
	b.evals--
	return nil
}

// refusal says which bucket of b is empty, if any.
func (r *requestLimiter) refusal(b *requestBuckets) *rateRefusal {
	switch {
	case b.denials < 1:
		return &rateRefusal{limit: limitDenials, wait: refillWait(b.denials, r.cfg.DenialsPerMinute)}
	case b.evals < 1:
		return &rateRefusal{limit: limitEvaluations, wait: refillWait(b.evals, r.cfg.EvaluationsPerMinute)}
	}
	return nil
}

// peek says whether key's requests are refused now, taking nothing.
func (r *requestLimiter) peek(key string) *rateRefusal {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.keys[key]
	if b == nil {
		return nil
	}
	r.refill(b, r.now())
	return r.refusal(b)
}

// denied charges one denied (or unparsable) request to key.
func (r *requestLimiter) denied(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bucketsLocked(key)
	b.denials = max(b.denials-1, 0)
}

// bucketsLocked returns key's buckets refilled up to now. When the table
// is full of keys that are all still limited, a random one of them is
// forgotten (its buckets start full again) rather than refusing a new
// user because of others' floods.
func (r *requestLimiter) bucketsLocked(key string) *requestBuckets {
	now := r.now()
	b := r.keys[key]
	if b == nil {
		if len(r.keys) >= r.maxKeys && !r.sweepLocked(now) {
			for k := range r.keys { // map order is random
				delete(r.keys, k)
				break
			}
		}
		b = &requestBuckets{evals: float64(r.cfg.EvaluationBurst), denials: float64(r.cfg.DenialBurst), last: now}
		r.keys[key] = b
		return b
	}
	r.refill(b, now)
	return b
}

func (r *requestLimiter) refill(b *requestBuckets, now time.Time) {
	if el := now.Sub(b.last).Minutes(); el > 0 {
		b.evals = min(float64(r.cfg.EvaluationBurst), b.evals+el*float64(r.cfg.EvaluationsPerMinute))
		b.denials = min(float64(r.cfg.DenialBurst), b.denials+el*float64(r.cfg.DenialsPerMinute))
		b.last = now
	}
}

// sweepLocked drops keys whose buckets are full again; it reports whether
// that made room.
func (r *requestLimiter) sweepLocked(now time.Time) bool {
	for k, b := range r.keys {
		r.refill(b, now)
		if b.evals >= float64(r.cfg.EvaluationBurst) && b.denials >= float64(r.cfg.DenialBurst) {
			delete(r.keys, k)
		}
	}
	return len(r.keys) < r.maxKeys
}

// refillWait is how long until a bucket at tokens holds one token again.
func refillWait(tokens float64, perMinute int) time.Duration {
	return max(time.Duration((1-tokens)*float64(time.Minute)/float64(perMinute)), time.Millisecond)
}

// message is the refusal's text for the client: which limit, for whom,
// and when to retry.
func (r *requestLimiter) message(ref *rateRefusal, who string) string {
	wait := max(ref.wait, 100*time.Millisecond).Seconds()
	if ref.limit == limitDenials {
		return fmt.Sprintf("request refused: rate limit of denied requests reached for %s (%d a minute, bursts of %d); every request is refused for %.1fs",
			who, r.cfg.DenialsPerMinute, r.cfg.DenialBurst, wait)
	}
	return fmt.Sprintf("request refused: rate limit of evaluations reached for %s (%d a minute, bursts of %d); try again in %.1fs",
		who, r.cfg.EvaluationsPerMinute, r.cfg.EvaluationBurst, wait)
}
