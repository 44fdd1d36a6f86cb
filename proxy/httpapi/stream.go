package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// Server-sent events of an evaluation (text/event-stream):
//
//	event: console   data: {"text": "..."}   console output, as R writes it
//	event: message   data: {"text": "..."}   each message(), when R signals it
//	event: warning   data: {"text": "..."}   each warning, when R signals it
//	event: plot      data: {"png": URL, "svg": URL}  each plot, after the run
//	event: done      data: <the evaluation's JSON answer without console>
//	event: error     data: the same, when the status is not ok
//
// The console stream carries everything R printed, messages and warnings
// included, in the order R wrote it; the message and warning events give
// them once more as structured items as R signals them, after the console
// text written before them (a message's own text included; a warning's
// text is printed by R later, after its top-level expression). The HTTP
// status is the evaluation's own (403, 400, 504 ...) when it ended before
// printing anything; once output has been sent it is 200, and the final
// event's "http_status" field holds what it would have been.

// wantsEvents reports whether the client asked for server-sent events.
func wantsEvents(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}

// streamResult is the final event's payload.
type streamResult struct {
	*evalResult
	HTTPStatus int `json:"http_status"`
}

// sseWriter sends a running evaluation's output as events. The worker's
// output arrives on the evaluation's goroutine (add); a goroutine of its
// own writes it to the client (run), so that a slow client never holds up
// the reading of R's output, which the output limit bounds.
type sseWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	cancel context.CancelFunc

	mu      sync.Mutex
	pending []sseItem
	wake    chan struct{}
	started bool // the status line and headers went out
	failed  bool
}

func (s *Server) evaluateStream(w http.ResponseWriter, r *http.Request, cs *core.Session, sess *session, req *evalRequest, wantValue bool) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sw := &sseWriter{w: w, rc: http.NewResponseController(w), cancel: cancel, wake: make(chan struct{}, 1)}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() { defer close(finished); sw.run(done) }()
	out := cs.Evaluate(ctx, []byte(req.Code), core.EvalOptions{WantValue: wantValue, Plots: true, Conditions: true,
		Stream: func(ev core.Event) { sw.add(ev.Kind, ev.Data) }})
	close(done)
	<-finished

	status, res := answer(out, sess, wantValue)
	res.Console = "" // sent as it came, messages and warnings too
	if !sw.started {
		sw.start(status)
	}
	for _, p := range res.Plots {
		sw.event("plot", p)
	}
	name := "done"
	if res.Status != "ok" {
		name = "error"
	}
	sw.event(name, streamResult{evalResult: res, HTTPStatus: status})
}

// sseItem is output waiting to be sent: console text (name ""), or a
// message or warning event.
type sseItem struct {
	name string
	text []byte
}

// add queues output of the evaluation (b is only valid during the call).
func (sw *sseWriter) add(kind core.EventKind, b []byte) {
	name := ""
	switch kind {
	case core.EventMessage:
		name = "message"
	case core.EventWarning:
		name = "warning"
	}
	sw.mu.Lock()
	if n := len(sw.pending); name == "" && n > 0 && sw.pending[n-1].name == "" {
		sw.pending[n-1].text = append(sw.pending[n-1].text, b...)
	} else {
		sw.pending = append(sw.pending, sseItem{name: name, text: append([]byte(nil), b...)})
	}
	sw.mu.Unlock()
	select {
	case sw.wake <- struct{}{}:
	default:
	}
}

// Console events are whole lines when R writes whole lines: R writes a
// line in pieces (cat() writes each argument and separator on its own),
// so output up to its last newline goes out at once, and a piece without
// a newline waits up to partialWait for the rest of its line (a progress
// display that never ends its line still shows within that time).
const (
	partialWait = 50 * time.Millisecond
	maxPartial  = 64 << 10
)

// run writes pending output as console events until done is closed and
// everything pending is out. A chunk that ends inside a UTF-8 sequence
// keeps that tail for the next event.
func (sw *sseWriter) run(done <-chan struct{}) {
	var buf []byte
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	waiting := false
	send := func(chunk []byte, final bool) []byte {
		var rest []byte
		if !final {
			chunk, rest = utf8Split(chunk)
		}
		if len(chunk) > 0 {
			if !sw.started {
				sw.start(http.StatusOK)
			}
			sw.event("console", map[string]string{"text": strings.ToValidUTF8(string(chunk), "\uFFFD")})
		}
		return append([]byte(nil), rest...)
	}
	for {
		force, final := false, false
		select {
		case <-sw.wake:
		case <-timer.C:
			waiting, force = false, true
		case <-done:
			final = true
		}
		sw.mu.Lock()
		items := sw.pending
		sw.pending = nil
		sw.mu.Unlock()
		for _, it := range items {
			if it.name == "" {
				buf = append(buf, it.text...)
				continue
			}
			// A message or warning: the console text before it goes
			// first, whole lines or not.
			buf = send(buf, false)
			if !sw.started {
				sw.start(http.StatusOK)
			}
			sw.event(it.name, map[string]string{"text": strings.ToValidUTF8(string(it.text), "\uFFFD")})
		}
		switch i := bytes.LastIndexByte(buf, '\n'); {
		case final || force || len(buf) >= maxPartial:
			buf = send(buf, final)
		case i >= 0:
			buf = append(send(buf[:i+1], false), buf[i+1:]...)
		}
		if final {
			timer.Stop()
			return
		}
		switch {
		case len(buf) > 0 && !waiting:
			timer.Reset(partialWait)
			waiting = true
		case len(buf) == 0 && waiting:
			timer.Stop()
			waiting = false
		}
	}
}

// utf8Split splits b before a character cut at its end.
func utf8Split(b []byte) (head, tail []byte) {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i], b[i:]
			}
			break
		}
	}
	return b, nil
}

func (sw *sseWriter) start(status int) {
	h := sw.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // reverse proxies: do not buffer the stream
	sw.w.WriteHeader(status)
	sw.started = true
}

// event writes one event and flushes it. A client that cannot take it
// within the answer timeout is gone: the evaluation is canceled.
func (sw *sseWriter) event(name string, data any) {
	if sw.failed {
		return
	}
	b, err := json.Marshal(data)
	if err == nil {
		_ = sw.rc.SetWriteDeadline(time.Now().Add(transport.AnswerTimeout))
		_, err = sw.w.Write([]byte("event: " + name + "\ndata: " + string(b) + "\n\n"))
	}
	if err == nil {
		err = sw.rc.Flush()
	}
	if err != nil {
		sw.failed = true
		sw.cancel()
	}
}
