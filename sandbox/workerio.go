package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// periodicInterval is how often a running evaluation's CPU time (and, when
// not root, scratch use) is checked: the precision of the per-evaluation
// CPU limit.
const periodicInterval = 100 * time.Millisecond

var (
	errDeadline   = errors.New("wall-clock limit reached")
	errWorkerExit = errors.New("worker exited")
)

// consoleSink collects a worker's console stream: it keeps up to limit
// bytes, counts everything, and forwards what it keeps to stream as it
// arrives.
type consoleSink struct {
	limit     int64
	buf       []byte
	total     int64
	truncated bool
	stream    func([]byte)
	// nonce and onCondition: the evaluation's event frames (respEvent)
	// are checked against its nonce and passed on; nil: none are expected.
	nonce       []byte
	onCondition func(ConditionKind, []byte)
	// condUsed is what the conditions passed on so far count against the
	// output limit: their text and conditionOverhead each. Warnings print
	// only after their top-level expression, so a loop of warnings would
	// otherwise stream without bound before the console is cut.
	condUsed int64
}

// conditionOverhead is what one passed-on condition counts besides its
// text (a front end's framing of it).
const conditionOverhead = 64

// condition passes on one event frame: nonce, kind byte, int32 length,
// text. Anything else is a protocol violation (user code can write to
// fd 4, but does not know the nonce).
func (s *consoleSink) condition(payload []byte) error {
	if s.onCondition == nil || len(payload) < nonceLen+5 || !bytes.Equal(payload[:nonceLen], s.nonce) {
		return fmt.Errorf("%w: unexpected event frame", errProtocol)
	}
	kind := ConditionKind(payload[nonceLen])
	n := binary.LittleEndian.Uint32(payload[nonceLen+1:])
	text := payload[nonceLen+5:]
	if (kind != ConditionMessage && kind != ConditionWarning) || uint64(n) != uint64(len(text)) {
		return fmt.Errorf("%w: malformed event frame", errProtocol)
	}
	cost := int64(len(text)) + conditionOverhead
	if s.truncated || s.condUsed+cost > s.limit {
		return nil
	}
	s.condUsed += cost
	s.onCondition(kind, trimToRuneBoundary(text))
	return nil
}

func (s *consoleSink) write(p []byte) {
	s.total += int64(len(p))
	room := s.limit - int64(len(s.buf))
	if room <= 0 {
		if len(p) > 0 {
			s.truncated = true
		}
		return
	}
	keep := p
	if int64(len(keep)) > room {
		keep = trimToRuneBoundary(keep[:room])
		s.truncated = true
		// Nothing more fits: a later small write must not slip in after
		// the cut.
		s.limit = int64(len(s.buf) + len(keep))
	}
	s.buf = append(s.buf, keep...)
	if s.stream != nil && len(keep) > 0 {
		s.stream(keep)
	}
}

// trimToRuneBoundary drops a UTF-8 sequence cut in half at the end of b.
func trimToRuneBoundary(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return b
			}
			return b[:i]
		}
	}
	return b
}

// frameState accumulates one response frame from the non-blocking result
// pipe across poll rounds.
type frameState struct {
	hdr     [respHeaderLen]byte
	hdrN    int
	typ     uint32
	payload []byte
	payN    int
	inBody  bool
}

func (f *frameState) reset() { *f = frameState{} }

// readFrame reads what is available. It returns done when a whole frame is
// in, and errWorkerExit at end of file.
func (w *worker) readFrame(maxLen int64) (done bool, err error) {
	f := &w.frame
	for {
		var n int
		if !f.inBody {
			n, err = unix.Read(w.resFd, f.hdr[f.hdrN:])
		} else {
			if f.payN == len(f.payload) {
				return true, nil
			}
			n, err = unix.Read(w.resFd, f.payload[f.payN:])
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return false, nil
		case err != nil:
			return false, fmt.Errorf("reading worker result: %w", err)
		case n == 0:
			return false, errWorkerExit
		}
		if !f.inBody {
			f.hdrN += n
			if f.hdrN < respHeaderLen {
				continue
			}
			typ, l, err := parseRespHeader(f.hdr[:], maxLen)
			if err != nil {
				return false, err
			}
			f.typ, f.inBody, f.payload = typ, true, make([]byte, l)
			if l == 0 {
				return true, nil
			}
			continue
		}
		f.payN += n
		if f.payN == len(f.payload) {
			return true, nil
		}
	}
}

// drainConsole reads everything the console pipe holds now. It returns
// false once the pipe reached end of file.
func (w *worker) drainConsole(sink *consoleSink, buf []byte) bool {
	for {
		n, err := unix.Read(w.conFd, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil: // EAGAIN: nothing more for now
			return true
		case n == 0:
			return false
		}
		sink.write(buf[:n])
	}
}

// await runs the worker I/O loop until one response frame has arrived,
// forwarding console output to sink on the way, polling without sleeping
// for the first `spin` of it. It ends early when the deadline passes
// (errDeadline), ctx ends, the worker exits, or periodic (called every
// periodicInterval, may be nil) returns an error.
//
// Console bytes written before the response are always delivered before
// await returns: R writes its console output and only then the response,
// so when the response pipe becomes readable, draining the console pipe
// first picks up everything that preceded it.
func (w *worker) await(ctx context.Context, deadline time.Time, spin time.Duration, sink *consoleSink, periodic func() error) (uint32, []byte, error) {
	w.frame.reset()
	var wakeBuf [8]byte
	_, _ = unix.Read(w.wake, wakeBuf[:]) // clear a stale wake-up
	// The wake-up runs in a goroutine of its own. await waits for it to
	// finish before returning: the worker may be destroyed right after, and
	// a late write to a closed, reused descriptor number would land in
	// someone else's file.
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(woken)
		var one = [8]byte{1}
		_, _ = unix.Write(w.wake, one[:])
	})
	defer func() {
		if !stop() {
			<-woken
		}
	}()

	// One await runs at a time per worker (its session's lock, or the
	// start-up), so the buffer is the worker's rather than a new 64 KiB per
	// evaluation.
	if w.conBuf == nil {
		w.conBuf = make([]byte, 64<<10)
	}
	buf := w.conBuf
	conOpen := true
	fds := []unix.PollFd{
		{Fd: int32(w.resFd), Events: unix.POLLIN},
		{Fd: int32(w.conFd), Events: unix.POLLIN},
		{Fd: int32(w.wake), Events: unix.POLLIN},
	}
	nextPeriodic := time.Now().Add(periodicInterval)
	// Most evaluations answer within a fraction of a millisecond; sleeping
	// in poll at once would let this CPU go idle, and waking it again costs
	// more than the evaluation on virtual machines. When a CPU is free for
	// it (Pool.hot), try for the busy-poll window without sleeping first.
	spinUntil := time.Now().Add(spin)
	for time.Now().Before(spinUntil) {
		if done, err := w.collect(sink, buf, &conOpen); done || err != nil {
			return w.takeFrame(deadline, err)
		}
	}
	for {
		now := time.Now()
		if !now.Before(deadline) {
			w.drainConsole(sink, buf)
			return 0, nil, errDeadline
		}
		wait := deadline.Sub(now)
		if periodic != nil && nextPeriodic.Sub(now) < wait {
			wait = nextPeriodic.Sub(now)
		}
		ms := int(wait / time.Millisecond)
		if wait > 0 && ms == 0 {
			ms = 1
		}
		if !conOpen {
			fds[1].Fd = -1
		}
		_, err := unix.Poll(fds, ms)
		if err != nil && err != unix.EINTR {
			return 0, nil, fmt.Errorf("poll: %w", err)
		}
		if conOpen && fds[1].Revents != 0 {
			conOpen = w.drainConsole(sink, buf)
		}
		if fds[0].Revents != 0 {
			if done, err := w.collect(sink, buf, &conOpen); done || err != nil {
				return w.takeFrame(deadline, err)
			}
		}
		if fds[2].Revents != 0 && ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		if periodic != nil && !time.Now().Before(nextPeriodic) {
			nextPeriodic = time.Now().Add(periodicInterval)
			if err := periodic(); err != nil {
				return 0, nil, err
			}
		}
	}
}

// collect drains the console pipe, then reads what the result pipe holds.
// When that completes a frame it drains the console once more: R writes its
// console output before the frame, possibly after the first drain, and all
// of it must be delivered before the answer.
func (w *worker) collect(sink *consoleSink, buf []byte, conOpen *bool) (done bool, err error) {
	if *conOpen {
		*conOpen = w.drainConsole(sink, buf)
	}
	done, err = w.readFrame(w.l.cfg.MaxResultBytes)
	if done && *conOpen {
		*conOpen = w.drainConsole(sink, buf)
	}
	if done && w.frame.typ == respEvent {
		// A message or warning while the evaluation runs, after the
		// console output before it (drained just now): pass it on and
		// keep waiting for the answer.
		err = sink.condition(w.frame.payload)
		w.frame.reset()
		return false, err
	}
	return done, err
}

// takeFrame ends await: the frame collect completed, or err. A frame
// completed at or after the deadline is errDeadline, not an answer: the
// deadline is checked only between polls, and when rwarden itself does not
// run for a while (its host paused or starved it) the worker can finish
// past its limit and have its answer waiting when rwarden polls again.
// Taking it would report an evaluation that outran its wall-clock limit
// as completed (Sys.sleep(20) under an 8 s limit).
func (w *worker) takeFrame(deadline time.Time, err error) (uint32, []byte, error) {
	if err == nil && !time.Now().Before(deadline) {
		err = errDeadline
	}
	if err != nil {
		w.frame.reset()
		return 0, nil, err
	}
	typ, payload := w.frame.typ, w.frame.payload
	w.frame.reset()
	return typ, payload, nil
}
