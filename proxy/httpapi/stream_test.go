package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// TestStreamFiveSecondLoop is the acceptance test of live output: a loop
// printing once a second for five seconds reaches the client as five
// console events spread over those seconds, not in one piece at the end.
func TestStreamFiveSecondLoop(t *testing.T) {
	// A read_timeout far shorter than the evaluation: it bounds reading
	// the request, not the answer.
	a := startAPI(t, func(cfg *config.Config) { cfg.Listeners[0].ReadTimeout = config.Duration(time.Second) })
	code := `for (i in 1:5) { cat("tick", i, "\n"); Sys.sleep(1) }`
	req, err := http.NewRequest("POST", a.url+"/v1/eval", strings.NewReader(`{"code": `+quote(code)+`}`))
	require.NoError(t, err)
	req.SetBasicAuth(alice.user, alice.pass)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	evs := readEvents(t, resp.Body, start)

	var ticks []event
	for _, ev := range evs {
		if ev.name == "console" {
			ticks = append(ticks, ev)
		}
	}
	require.Len(t, ticks, 5, "events: %v", evs)
	for i, ev := range ticks {
		var d struct{ Text string }
		require.NoError(t, json.Unmarshal([]byte(ev.data), &d))
		assert.Equal(t, "tick "+string(rune('1'+i))+" \n", d.Text)
	}
	// Spread over the run: the first tick comes long before the end (how
	// long the session took to start does not count), and consecutive
	// ticks are about a second apart.
	last := evs[len(evs)-1]
	assert.Equal(t, "done", last.name)
	assert.Greater(t, last.at-ticks[0].at, 4*time.Second, "first event at %v, done at %v", ticks[0].at, last.at)
	for i := 1; i < len(ticks); i++ {
		gap := ticks[i].at - ticks[i-1].at
		assert.Greater(t, gap, 600*time.Millisecond, "gap before tick %d", i+1)
	}
	var done result
	require.NoError(t, json.Unmarshal([]byte(last.data), &done))
	assert.Equal(t, "ok", done.Status)
	assert.Equal(t, 200, done.HTTPStatus)
}

// TestStreamOutcomes: events carry messages, warnings and errors, and an
// evaluation that ends before printing anything keeps its own status code.
func TestStreamOutcomes(t *testing.T) {
	a := startAPI(t, nil)
	stream := func(code string) (int, []event) {
		req, err := http.NewRequest("POST", a.url+"/v1/eval", strings.NewReader(`{"code": `+quote(code)+`}`))
		require.NoError(t, err)
		req.SetBasicAuth(alice.user, alice.pass)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		return resp.StatusCode, readEvents(t, resp.Body, time.Now())
	}
	names := func(evs []event) []string {
		var n []string
		for _, e := range evs {
			n = append(n, e.name)
		}
		return n
	}

	// Messages and warnings are events as R signals them, in order with
	// the console text: a message after its own console line, a warning
	// right after it is signalled (R prints its text after the loop).
	status, evs := stream(`for (i in 1:4) { cat("tick", i, "\n"); message("note ", i); warning("careful ", i); Sys.sleep(0.3) }`)
	assert.Equal(t, 200, status)
	require.Equal(t, "done", evs[len(evs)-1].name)
	var seq []string
	var condAt []time.Duration
	console := ""
	for _, ev := range evs[:len(evs)-1] {
		var d struct{ Text string }
		require.NoError(t, json.Unmarshal([]byte(ev.data), &d))
		if ev.name == "console" {
			console += d.Text
			continue
		}
		if console != "" {
			seq = append(seq, "console:"+console)
			console = ""
		}
		seq = append(seq, ev.name+":"+d.Text)
		condAt = append(condAt, ev.at)
	}
	var want []string
	for i := 1; i <= 4; i++ {
		n := string(rune('0' + i))
		want = append(want, "console:tick "+n+" \nnote "+n+"\n", "message:note "+n+"\n", "warning:careful "+n)
	}
	assert.Equal(t, want, seq)
	assert.True(t, strings.HasPrefix(console, "Warning messages:\n1: careful 1"), console)
	require.Len(t, condAt, 8)
	for i := 2; i < 8; i += 2 {
		assert.Greater(t, condAt[i]-condAt[i-2], 200*time.Millisecond, "message %d came when signalled", i/2+1)
	}
	assert.Greater(t, evs[len(evs)-1].at-condAt[0], 800*time.Millisecond, "the first message long before the end")
	var done result
	require.NoError(t, json.Unmarshal([]byte(evs[len(evs)-1].data), &done))
	assert.Len(t, done.Messages, 4, "the final answer lists them all")
	assert.Len(t, done.Warnings, 4)

	// A line written in pieces is one event; a piece that never gets its
	// newline still goes out before the evaluation ends.
	status, evs = stream(`cat("a", "b", "c\n"); cat("partial"); Sys.sleep(1.5); cat(" end\n")`)
	assert.Equal(t, 200, status)
	require.Equal(t, []string{"console", "console", "console", "done"}, names(evs), "%v", evs)
	assert.JSONEq(t, `{"text":"a b c\n"}`, evs[0].data)
	assert.JSONEq(t, `{"text":"partial"}`, evs[1].data)
	assert.JSONEq(t, `{"text":" end\n"}`, evs[2].data)
	assert.Greater(t, evs[2].at-evs[1].at, time.Second, "the partial line went out before the sleep ended")

	status, evs = stream(`system("id")`)
	assert.Equal(t, http.StatusForbidden, status)
	require.Equal(t, []string{"error"}, names(evs))
	var r result
	require.NoError(t, json.Unmarshal([]byte(evs[0].data), &r))
	assert.Equal(t, "denied", r.Status)
	assert.Equal(t, 403, r.HTTPStatus)
	require.NotEmpty(t, r.Violations)
	assert.Equal(t, "base::system", r.Violations[0].Function)

	status, evs = stream(`cat("partial\n"); stop("late")`)
	assert.Equal(t, 200, status, "output went out before the error")
	require.Equal(t, []string{"console", "error"}, names(evs))
	require.NoError(t, json.Unmarshal([]byte(evs[1].data), &r))
	assert.Equal(t, "error", r.Status)
	assert.Equal(t, 400, r.HTTPStatus)
	assert.Contains(t, r.Error, "late")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestStreamClientGone: a client that disconnects in the middle of a
// stream cancels its evaluation (the worker is killed, the session freed)
// instead of leaving it to run to its limit.
func TestStreamClientGone(t *testing.T) {
	a := startAPI(t, func(cfg *config.Config) {
		cfg.Limits.Users = map[string]config.LimitSet{"alice": {Sessions: ptr(1)}}
	})
	req, err := http.NewRequest("POST", a.url+"/v1/eval",
		strings.NewReader(`{"code": "for (i in 1:60) { cat(i, '\\n'); Sys.sleep(1) }"}`))
	require.NoError(t, err)
	req.SetBasicAuth(alice.user, alice.pass)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	buf := make([]byte, 64)
	_, err = resp.Body.Read(buf) // the first event: it is running
	require.NoError(t, err)
	start := time.Now()
	resp.Body.Close()
	a.client.CloseIdleConnections()

	// The one session alice may have is free again long before the loop
	// could have ended.
	require.Eventually(t, func() bool {
		code, _, _ := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "1"})
		return code == http.StatusOK
	}, 20*time.Second, 200*time.Millisecond)
	t.Logf("session free %v after the client left", time.Since(start))
}
