package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Destination is one granted destination.
type Destination struct {
	// Name is the configured name (the socket directory in the worker).
	Name string
	// Address is the host:port rwarden connects to.
	Address string
}

// Event kinds.
const (
	EventConnect = "connect" // rwarden connected to the destination for the worker
	EventClose   = "close"   // a forwarded connection ended; bytes are final
	EventRefused = "refused" // the connection was not forwarded (Err says why)
	// EventSummary stands for the connections beyond Options.Detailed in
	// a minute, which have no connect or close event of their own: Conns
	// of them ended, with Sent and Received bytes in all.
	EventSummary = "summary"
)

// Event is one connection's start, end or refusal.
type Event struct {
	Kind        string
	Destination Destination
	// Conn numbers the forwarder's connections from 1.
	Conn int64
	// Sent counts bytes from the worker to the destination, Received the
	// bytes back (final in a close event).
	Sent, Received int64
	Duration       time.Duration
	Err            error
	// Refused is, in a refused event, how many refused connections it
	// stands for (1, or more when refusals came faster than one a
	// second; Conn and Err are then the latest's).
	Refused int64
	// Quiet marks the connect event of a connection beyond
	// Options.Detailed in the current minute: it is counted in a later
	// summary event instead of being recorded, but OnEvent's error still
	// keeps it from being forwarded (fail closed). Its close is never
	// reported on its own.
	Quiet bool
	// Conns is, in a summary event, how many connections ended since the
	// previous summary; Failed how many of them ended with an error (Err
	// is the latest such error).
	Conns, Failed int64
}

// refusalEvery is how often refused events are reported: a worker that
// connects in a loop (over max_connections, or to a destination that is
// down) must not write an audit record per attempt. Refusals in between
// are counted in the next refused event, or in a last one at Close.
const refusalEvery = time.Second

// detailWindow is the window of Options.Detailed, and summaryEvery how
// often, at most, a summary event is reported while quiet connections end:
// a connect loop of any speed writes at most 2*Detailed records plus
// detailWindow/summaryEvery summaries a minute for one forwarder.
const (
	detailWindow = time.Minute
	summaryEvery = 10 * time.Second
)

// Options tune a Forwarder.
type Options struct {
	// DialTimeout bounds the connect to the destination. Default 10s.
	DialTimeout time.Duration
	// MaxConns bounds the open forwarded connections; a connection over it
	// is refused (closed at once). Default 8.
	MaxConns int
	// Detailed is how many connections a minute get a connect and a close
	// event of their own; those beyond it are quiet and reported in
	// summary events. Default 30.
	Detailed int
	// OnEvent is called, from the connection's goroutine, for every event.
	// It must not block for long. An error for a connect event (its audit
	// record could not be written) ends the connection before any byte is
	// forwarded (fail closed); a close event follows with no bytes.
	OnEvent func(Event) error
	// Dial replaces net.Dialer's DialContext (tests). The address passed is
	// always the Destination's.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Forwarder forwards the connections accepted on one listener to one
// destination.
type Forwarder struct {
	ln   net.Listener
	dest Destination
	opts Options

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	open   atomic.Int64
	serial atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}

	refMu      sync.Mutex
	refLast    time.Time
	refPending int64
	refLatest  Event

	sumMu       sync.Mutex
	winStart    time.Time // the current detailWindow
	winDetailed int       // connections with events of their own in it
	sumLast     time.Time
	sum         Event // the quiet connections ended since the last summary
}

// Serve starts forwarding ln's connections to dest. ln is owned by the
// Forwarder from now on; Close closes it.
func Serve(ln net.Listener, dest Destination, opts Options) *Forwarder {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 8
	}
	if opts.Detailed <= 0 {
		opts.Detailed = 30
	}
	if opts.OnEvent == nil {
		opts.OnEvent = func(Event) error { return nil }
	}
	if opts.Dial == nil {
		d := &net.Dialer{}
		opts.Dial = d.DialContext
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Forwarder{ln: ln, dest: dest, opts: opts, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	f.sum = Event{Kind: EventSummary, Destination: dest}
	f.wg.Add(1)
	go f.acceptLoop()
	return f
}

// Close stops accepting, ends every forwarded connection and waits until
// each has reported its close event (or its share of a last summary).
func (f *Forwarder) Close() {
	f.cancel()
	_ = f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	f.refMu.Lock()
	if f.refPending > 0 {
		ev := f.refLatest
		ev.Refused = f.refPending
		f.refPending = 0
		_ = f.opts.OnEvent(ev)
	}
	f.refMu.Unlock()
	f.flushSummary(true)
}

// refuse reports a refused connection, or counts it for the next report
// (see refusalEvery).
func (f *Forwarder) refuse(ev Event) {
	f.refMu.Lock()
	defer f.refMu.Unlock()
	ev.Kind = EventRefused
	f.refPending++
	f.refLatest = ev
	if now := time.Now(); now.Sub(f.refLast) >= refusalEvery {
		f.refLast = now
		ev.Refused = f.refPending
		f.refPending = 0
		_ = f.opts.OnEvent(ev)
	}
}

func (f *Forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

func (f *Forwarder) acceptLoop() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient accept error (descriptors exhausted): back off
			// rather than spin.
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		n := f.serial.Add(1)
		if f.open.Add(1) > int64(f.opts.MaxConns) {
			f.open.Add(-1)
			_ = c.Close()
			f.refuse(Event{Destination: f.dest, Conn: n, Err: fmt.Errorf("more than %d open connections", f.opts.MaxConns)})
			continue
		}
		if !f.track(c) {
			f.open.Add(-1)
			_ = c.Close()
			return
		}
		f.wg.Add(1)
		go f.forward(c, n)
	}
}

// forward dials the destination for one accepted connection and copies
// both ways until either side ends.
func (f *Forwarder) forward(in net.Conn, n int64) {
	defer f.wg.Done()
	defer f.open.Add(-1)
	defer f.untrack(in)
	defer in.Close()
	start := time.Now()
	dctx, cancel := context.WithTimeout(f.ctx, f.opts.DialTimeout)
	out, err := f.opts.Dial(dctx, "tcp", f.dest.Address)
	cancel()
	if err != nil {
		f.refuse(Event{Destination: f.dest, Conn: n, Err: fmt.Errorf("connecting to %s: %w", f.dest.Address, err)})
		return
	}
	if !f.track(out) {
		_ = out.Close()
		return
	}
	defer f.untrack(out)
	defer out.Close()
	quiet := !f.detailed(start)
	if err := f.opts.OnEvent(Event{Kind: EventConnect, Destination: f.dest, Conn: n, Quiet: quiet}); err != nil {
		f.closed(Event{Kind: EventClose, Destination: f.dest, Conn: n, Duration: time.Since(start),
			Err: fmt.Errorf("not forwarded: %w", err)}, quiet)
		return
	}

	var sent, received atomic.Int64
	done := make(chan error, 2)
	go func() { done <- halfClose(out, pipe(out, in, &sent)) }()
	go func() { done <- halfClose(in, pipe(in, out, &received)) }()
	err = <-done
	if err != nil {
		// A failed direction ends both, so the other copy returns too.
		_ = in.Close()
		_ = out.Close()
	}
	if err2 := <-done; err == nil {
		err = err2
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	f.closed(Event{Kind: EventClose, Destination: f.dest, Conn: n,
		Sent: sent.Load(), Received: received.Load(), Duration: time.Since(start), Err: err}, quiet)
}

// halfClose passes an orderly end of one direction on (a client that
// shuts its sending side still gets the answer), or returns err.
func halfClose(dst net.Conn, err error) error {
	if err != nil {
		return err
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return nil
	}
	return dst.Close()
}

// pipe copies src to dst, counting what was written.
func pipe(dst io.Writer, src io.Reader, count *atomic.Int64) error {
	buf := make([]byte, 32<<10)
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			count.Add(int64(nw))
			if werr != nil {
				return werr
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return nil
			}
			return rerr
		}
	}
}
