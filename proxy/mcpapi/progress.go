package mcpapi

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// progress sends a running evaluation's console output as progress
// notifications (the client asked for them with a progress token). The
// worker's output arrives on the evaluation's goroutine; a goroutine of
// its own sends it, at most every flushEvery, so that a slow client never
// holds up the reading of R's output (which the output limit bounds).
type progress struct {
	ctx   context.Context
	ss    *mcp.ServerSession
	token any

	mu      sync.Mutex
	pending []byte
	n       float64
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

const flushEvery = 100 * time.Millisecond

// maxMessage bounds one notification's text.
const maxMessage = 64 << 10

func newProgress(ctx context.Context, ss *mcp.ServerSession, token any) *progress {
	p := &progress{ctx: ctx, ss: ss, token: token, wake: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go p.run()
	return p
}

func (p *progress) add(b []byte) {
	p.mu.Lock()
	p.pending = append(p.pending, b...)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *progress) run() {
	defer close(p.stopped)
	for {
		final := false
		select {
		case <-p.wake:
		case <-p.done:
			final = true
		}
		p.mu.Lock()
		buf := p.pending
		p.pending = nil
		p.mu.Unlock()
		for len(buf) > 0 {
			chunk := buf
			if len(chunk) > maxMessage {
				chunk = chunk[:maxMessage]
			}
			buf = buf[len(chunk):]
			p.n++
			// A client that went away ends the sends, not the evaluation.
			_ = p.ss.NotifyProgress(p.ctx, &mcp.ProgressNotificationParams{ProgressToken: p.token,
				Progress: p.n, Message: strings.ToValidUTF8(string(chunk), "\uFFFD")})
		}
		if final {
			return
		}
		select {
		case <-time.After(flushEvery):
		case <-p.done:
		}
	}
}

// finish sends what is left and waits for the sender.
func (p *progress) finish() {
	close(p.done)
	<-p.stopped
}
