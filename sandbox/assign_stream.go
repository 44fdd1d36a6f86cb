package sandbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// A streamed assignment: the front end checks the client's serialization
// of list(name, value) as it reads it and writes it to the worker as it
// goes, so that rwarden never holds the value. The request body is the
// name (as in reqAssign), the n bytes of the serialization, then one
// verdict byte: 1 when the whole stream was checked and passed on, 0 when
// it was refused part way (what was not passed on is sent as zeros). The
// worker unserializes the list only after a verdict of 1, checks the
// value again and binds its second element.

// flagStream marks a streamed assignment (harness.R's assign_request).
const flagStream uint32 = 16

// ErrAssignRefused wraps the error of a streamed assignment that was
// refused part way: the worker assigned nothing and the session goes on.
var ErrAssignRefused = errors.New("assignment refused")

// frameWriter passes at most n bytes on to the worker's request pipe.
// Each write has its own deadline: the stream goes at the client's pace,
// and only a worker that stops reading for that long fails it.
type frameWriter struct {
	w       *os.File
	left    int64
	timeout time.Duration
	err     error // the pipe's error: the worker is unusable
}

func (f *frameWriter) Write(b []byte) (int, error) {
	if int64(len(b)) > f.left {
		return 0, fmt.Errorf("the assignment is longer than it announced (%d bytes left)", f.left)
	}
	if err := f.w.SetWriteDeadline(time.Now().Add(f.timeout)); err != nil {
		f.err = fmt.Errorf("sending an assignment to the worker: %w", err)
		return 0, f.err
	}
	n, err := f.w.Write(b)
	f.left -= int64(n)
	if err != nil {
		f.err = fmt.Errorf("sending an assignment to the worker: %w", err)
		return n, f.err
	}
	return n, nil
}

// AssignStream binds name to the value of a serialized list(name, value)
// of n bytes that fill writes, checked, to the writer it is given. When
// fill fails (the stream is refused, or the client is gone) the worker
// assigns nothing and AssignStream returns fill's error wrapped in
// ErrAssignRefused; the session goes on unless the worker itself failed.
func (s *Session) AssignStream(ctx context.Context, name string, n int64, fill func(io.Writer) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.w.alive() {
		return ErrSessionClosed
	}
	if name == "" || len(name) > 10000 {
		return fmt.Errorf("bad variable name")
	}
	body := 4 + int64(len(name)) + n + 1
	if n < 0 || body > MaxAssignBytes-nonceLen {
		return fmt.Errorf("an assignment of %d bytes exceeds the worker limit of %d", n, MaxAssignBytes)
	}
	timeout := s.binding.Limits.Wall
	nonce, sendErr := s.w.streamAssign(name, n, body, fill, timeout)
	if sendErr != nil && !errors.Is(sendErr, ErrAssignRefused) {
		s.closeLocked("assign failed")
		return sendErr
	}
	// The worker's time starts when it has the whole request.
	err := s.w.awaitAnswer(ctx, time.Now().Add(timeout), respDone, nonce)
	if err != nil && (errors.Is(err, errProtocol) || errors.Is(err, errNonce) || !s.w.alive() || ctx.Err() != nil) {
		s.closeLocked("assign failed")
		return err
	}
	if sendErr != nil {
		return sendErr // the worker answered that it assigned nothing
	}
	return err
}

// errPipe marks a failed write to the worker: its request stream is cut
// part way, so the worker cannot be used again.
var errPipe = errors.New("worker request stream broken")

// streamAssign writes a streamed assignment's request. An error wrapping
// ErrAssignRefused means the request went out whole (the stream refused,
// verdict 0); any other error leaves the worker's pipe unusable.
func (w *worker) streamAssign(name string, n, body int64, fill func(io.Writer) error, timeout time.Duration) ([]byte, error) {
	nonce := newNonce()
	return nonce, w.streamAssignRequest(nonce, name, n, body, fill, timeout)
}

func (w *worker) streamAssignRequest(nonce []byte, name string, n, body int64, fill func(io.Writer) error, timeout time.Duration) error {
	head, err := encodeRequestHead(reqAssign, flagStream, nonce, int(body))
	if err != nil {
		return fmt.Errorf("%w: %v", errPipe, err)
	}
	w.requests.Add(1) // before the process can see it (memoryUsage)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(name)))
	head = append(head, name...)
	if _, err := (&frameWriter{w: w.req, left: int64(len(head)), timeout: timeout}).Write(head); err != nil {
		return fmt.Errorf("%w: %v", errPipe, err)
	}
	fw := &frameWriter{w: w.req, left: n, timeout: timeout}
	ferr := fill(fw)
	if fw.err != nil {
		return fmt.Errorf("%w: %v", errPipe, fw.err)
	}
	verdict := byte(1)
	if ferr != nil || fw.left != 0 {
		verdict = 0
		if ferr == nil {
			ferr = fmt.Errorf("the assignment ended %d bytes short", fw.left)
		}
		// Zeros for what was not passed on: the frame's length was sent.
		zeros := make([]byte, 64<<10)
		for fw.left > 0 {
			k := min(fw.left, int64(len(zeros)))
			if _, err := fw.Write(zeros[:k]); err != nil {
				return fmt.Errorf("%w: %v", errPipe, err)
			}
		}
	}
	if _, err := (&frameWriter{w: w.req, left: 1, timeout: timeout}).Write([]byte{verdict}); err != nil {
		return fmt.Errorf("%w: %v", errPipe, err)
	}
	if ferr != nil {
		return fmt.Errorf("%w: %w", ErrAssignRefused, ferr)
	}
	return nil
}
