package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// testClock is a manually advanced clock.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// floodCore is a Core with only what the flood aggregation needs: a real
// audit trail and the metrics.
func floodCore(t *testing.T) (*Core, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := audit.Open(audit.Config{File: file, Logger: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return &Core{log: log, audit: a, metrics: newMetrics(func() sandbox.PoolStats { return sandbox.PoolStats{} })}, file
}

func readTrail(t *testing.T, c *Core, file string) []*audit.Record {
	t.Helper()
	require.NoError(t, c.audit.Close())
	var out []*audit.Record
	_, err := audit.Query([]string{file}, audit.Filter{}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	rep, err := audit.Verify([]string{file})
	require.NoError(t, err)
	require.True(t, rep.OK(), "chain broken: %+v", rep.Break)
	return out
}

// The first full_records refusals of a key's window are recorded in full,
// the rest counted into one summary per key when the window ends.
func TestFloodAggregation(t *testing.T) {
	c, file := floodCore(t)
	clk := &testClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	f := newFloodAudit(c, 3, time.Minute)
	f.now = clk.now
	refusal := func(remote, user string) *audit.Record {
		return &audit.Record{Event: audit.EventAuth, Status: audit.StatusRateLimited, User: user,
			Remote: remote, Protocol: "qap1", Error: "rate limited"}
	}
	full := 0
	for i := range 100 {
		user := "alice"
		if i%10 == 0 {
			user = "bob"
		}
		for _, remote := range []string{"192.0.2.1:1", "192.0.2.2:1"} {
			rec := refusal(remote, user)
			if f.admit("auth|"+remote, user, rec) {
				full++
				require.NoError(t, c.audit.Append(context.Background(), rec))
			}
		}
		clk.advance(100 * time.Millisecond)
	}
	assert.Equal(t, 6, full, "3 in full per address")
	f.flush(false)
	clk.advance(time.Minute)
	f.flush(false)
	f.flush(false) // nothing left: no second summary
	recs := readTrail(t, c, file)
	require.Len(t, recs, 8)
	for _, s := range recs[6:] {
		assert.Equal(t, audit.EventAuth, s.Event)
		assert.Equal(t, audit.StatusRateLimited, s.Status)
		assert.Equal(t, "97", s.Detail["aggregated"])
		assert.Equal(t, `"alice"=88 "bob"=9`, s.Detail["counts"])
		assert.NotEmpty(t, s.Detail["first"])
		assert.Empty(t, s.User, "alice and bob: no single user")
		assert.Equal(t, "qap1", s.Protocol)
	}
	assert.ElementsMatch(t, []string{"192.0.2.1:1", "192.0.2.2:1"}, []string{recs[6].Remote, recs[7].Remote})
}

// A flood of distinct keys cannot grow the aggregator or the trail without
// bound: past the key limit everything shares one overflow entry with no
// full records, and per-name counts are capped.
func TestFloodAggregationBounded(t *testing.T) {
	c, file := floodCore(t)
	clk := &testClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	f := newFloodAudit(c, 1, time.Minute)
	f.now, f.maxKeys = clk.now, 10
	full := 0
	for i := range 1000 {
		name := fmt.Sprintf("user%d", i)
		if f.admit(fmt.Sprintf("auth|192.0.2.%d", i%50), name, &audit.Record{Event: audit.EventAuth, Status: audit.StatusRateLimited}) {
			full++
		}
	}
	assert.Equal(t, 10, full)
	assert.Len(t, f.keys, 11, "10 keys and the overflow")
	clk.advance(time.Minute)
	f.flush(false)
	recs := readTrail(t, c, file)
	require.Len(t, recs, 11)
	var overflow *audit.Record
	for _, r := range recs {
		assert.LessOrEqual(t, strings.Count(r.Detail["counts"], "="), floodMaxBy+1)
		if r.Detail["overflow"] == "true" {
			overflow = r
		}
	}
	require.NotNil(t, overflow)
	// 40 addresses past the first 10, 20 refusals each.
	assert.Equal(t, "800", overflow.Detail["aggregated"])
	assert.Contains(t, overflow.Detail["counts"], `"(other)"=`)
}

func TestRequestLimiter(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	r := newRequestLimiter(config.RequestThrottle{EvaluationsPerMinute: 60, EvaluationBurst: 5, DenialsPerMinute: 6, DenialBurst: 2})
	r.now = clk.now
	for range 5 {
		require.Nil(t, r.take("user|alice"))
	}
	ref := r.take("user|alice")
	require.NotNil(t, ref)
	assert.Equal(t, limitEvaluations, ref.limit)
	assert.Equal(t, time.Second, ref.wait)
	assert.Nil(t, r.take("user|bob"), "another key is not affected")
	assert.Contains(t, r.message(ref, "user alice"), "rate limit of evaluations reached for user alice (60 a minute, bursts of 5)")

	// Two denials empty the denial bucket: everything is refused until
	// one refills (10 s at 6 a minute), whatever the evaluation bucket.
	r.denied("user|bob")
	r.denied("user|bob")
	ref = r.take("user|bob")
	require.NotNil(t, ref)
	assert.Equal(t, limitDenials, ref.limit)
	assert.Equal(t, 10*time.Second, ref.wait)
	assert.Contains(t, r.message(ref, "user bob"), "rate limit of denied requests reached for user bob (6 a minute, bursts of 2)")
	require.NotNil(t, r.peek("user|bob"), "peek sees the refusal")
	assert.Nil(t, r.peek("user|nobody"), "an unknown key is not refused")
	clk.advance(10 * time.Second)
	assert.Nil(t, r.peek("user|bob"))
	assert.Nil(t, r.take("user|bob"))

	// The table is bounded; keys that are full again make room, and when
	// none can go a random one is forgotten: a new user is never refused
	// because of others' floods.
	r.maxKeys = 2
	r.denied("user|alice")
	assert.Nil(t, r.take("user|carol"), "table full of limited keys: one forgotten")
	assert.Len(t, r.keys, 2)
	clk.advance(time.Minute)
	assert.Nil(t, r.take("user|dave"), "refilled keys swept")
	assert.LessOrEqual(t, len(r.keys), 2)
}

func TestDiskWatch(t *testing.T) {
	tests := []struct {
		name  string
		free  int64
		err   error
		level int
		msg   string
	}{
		{"plenty", 10 << 30, nil, diskOK, ""},
		{"below warn", 600 << 20, nil, diskWarn, "audit disk: 600.0MiB free on /audit, below the warning watermark 1.0GiB"},
		{"below critical", 100 << 20, nil, diskCritical, "below the critical watermark 256.0MiB"},
		{"unmeasurable", 0, errors.New("boom"), diskCritical, "cannot measure free space"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := floodCore(t)
			d := newDiskWatch("/audit/audit.jsonl", 1<<30, 256<<20, c.log)
			d.statfs = func(dir string) (int64, error) {
				assert.Equal(t, "/audit", dir)
				return tc.free, tc.err
			}
			free, level, problem := d.check()
			assert.Equal(t, tc.level, level)
			if tc.msg == "" {
				assert.NoError(t, problem)
			} else {
				require.Error(t, problem)
				assert.Contains(t, problem.Error(), tc.msg)
			}
			if tc.err == nil {
				assert.Equal(t, tc.free, free)
			}
			assert.Equal(t, tc.level, d.level, "the level is remembered for the log")
			c.metrics.reg.MustRegister(d.collectors()...)
			rec := httptest.NewRecorder()
			promhttp.HandlerFor(c.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			assert.Contains(t, rec.Body.String(), fmt.Sprintf("rwarden_audit_disk_state %d\n", tc.level))
			assert.Contains(t, rec.Body.String(), "rwarden_audit_disk_free_warn_bytes 1.073741824e+09\n")
		})
	}
}

func TestFreeBytesReal(t *testing.T) {
	free, err := freeBytes(t.TempDir())
	require.NoError(t, err)
	assert.Positive(t, free)
	_, err = freeBytes(filepath.Join(t.TempDir(), "missing"))
	assert.Error(t, err)
}

// A refused protocol command repeated on one connection is a denial: past
// the denial bucket its records go through the flood aggregation, so the
// trail holds burst + full_records records and one summary.
func TestRefuseFloodAggregated(t *testing.T) {
	c, file := floodCore(t)
	c.requests = newRequestLimiter(config.RequestThrottle{EvaluationsPerMinute: 600, EvaluationBurst: 100, DenialsPerMinute: 1, DenialBurst: 10})
	c.flood = newFloodAudit(c, 3, time.Minute)
	ctx := context.Background()
	guest := &Identity{User: "guest", Method: "anonymous"}
	peer := Peer{Remote: "192.0.2.5:999", Listener: "127.0.0.1:6311", Protocol: "qap1"}
	for range 1000 {
		require.NoError(t, c.Refuse(ctx, Refusal{Peer: peer, Identity: guest, What: "CMD_shutdown", Reason: "command not available through rwarden"}))
	}
	// Another address's anonymous client is not aggregated with it.
	other := peer
	other.Remote = "192.0.2.6:1"
	require.NoError(t, c.Refuse(ctx, Refusal{Peer: other, Identity: guest, What: "CMD_shutdown", Reason: "x"}))
	c.flood.flush(true)
	recs := readTrail(t, c, file)
	require.Len(t, recs, 10+3+1+1)
	sum := recs[len(recs)-1]
	if sum.Detail["aggregated"] == "" {
		sum = recs[len(recs)-2]
	}
	assert.Equal(t, audit.EventAccessDenied, sum.Event)
	assert.Equal(t, "987", sum.Detail["aggregated"])
	assert.Equal(t, "CMD_shutdown", sum.Detail["command"])
	assert.Equal(t, `"CMD_shutdown"=987`, sum.Detail["counts"])
	assert.Equal(t, "192.0.2.5:999", sum.Remote)
}

// A summary keeps only what all its refusals share.
func TestFloodSummaryMerge(t *testing.T) {
	base := audit.Record{Event: audit.EventAuth, User: "alice", AuthMethod: "password", Remote: "192.0.2.1:1", Listener: "l1", Protocol: "qap1"}
	tests := []struct {
		name string
		edit func(*audit.Record)
		want func(*audit.Record)
	}{
		{"identical", func(*audit.Record) {}, func(*audit.Record) {}},
		{"other port", func(r *audit.Record) { r.Remote = "192.0.2.1:2" }, func(r *audit.Record) { r.Remote = "192.0.2.1" }},
		{"other address", func(r *audit.Record) { r.Remote = "192.0.2.9:1" }, func(r *audit.Record) { r.Remote = "" }},
		{"other user", func(r *audit.Record) { r.User = "bob" }, func(r *audit.Record) { r.User = "" }},
		{"other listener", func(r *audit.Record) { r.Listener, r.Protocol = "l2", "framed" }, func(r *audit.Record) { r.Listener, r.Protocol = "", "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, second, want := base, base, base
			tc.edit(&second)
			tc.want(&want)
			e := &floodEntry{summary: summaryOf(&first)}
			e.merge(&second)
			assert.Equal(t, &want, e.summary)
		})
	}
}

// The log says it once per change of level, not on every check.
func TestDiskWatchLogsChanges(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	d := newDiskWatch("/audit/audit.jsonl", 1<<30, 256<<20, log)
	free := int64(10 << 30)
	d.statfs = func(string) (int64, error) { return free, nil }
	steps := []struct {
		free int64
		want string // "" nothing logged
	}{
		{10 << 30, ""},
		{600 << 20, "level=WARN msg=\"audit disk low on space\""},
		{500 << 20, ""},
		{100 << 20, "level=ERROR msg=\"AUDIT DISK NEARLY FULL\""},
		{100 << 20, ""},
		{10 << 30, "level=INFO msg=\"audit disk has enough free space again\""},
	}
	for i, st := range steps {
		buf.Reset()
		free = st.free
		d.check()
		if st.want == "" {
			assert.Empty(t, buf.String(), "step %d", i)
		} else {
			assert.Contains(t, buf.String(), st.want, "step %d", i)
		}
	}
}
