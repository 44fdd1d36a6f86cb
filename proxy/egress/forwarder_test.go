package egress

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder collects events.
type recorder struct {
	mu   sync.Mutex
	ev   []Event
	ch   chan Event
	fail bool // connect events fail (an audit trail that cannot be written)
}

func newRecorder() *recorder { return &recorder{ch: make(chan Event, 64)} }

func (r *recorder) on(e Event) error {
	r.mu.Lock()
	r.ev = append(r.ev, e)
	fail := r.fail
	r.mu.Unlock()
	r.ch <- e
	if fail && e.Kind == EventConnect {
		return io.ErrShortWrite
	}
	return nil
}

func (r *recorder) next(t *testing.T) Event {
	t.Helper()
	select {
	case e := <-r.ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return Event{}
	}
}

// tcpServer serves every connection on a loopback port with handle (which
// need not close it) until the test ends.
func tcpServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// echoServer answers every connection with "echo:" and what it read, until
// the client's end of input.
func echoServer(t *testing.T) string {
	t.Helper()
	return tcpServer(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		_, _ = c.Write(append([]byte("echo:"), b...))
	})
}

// streamEchoServer echoes as it reads.
func streamEchoServer(t *testing.T) string {
	t.Helper()
	return tcpServer(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

func unixListener(t *testing.T) (net.Listener, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "socket")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	return ln, path
}

func TestForwardCountsAndReports(t *testing.T) {
	addr := echoServer(t)
	ln, path := unixListener(t)
	rec := newRecorder()
	f := Serve(ln, Destination{Name: "echo", Address: addr}, Options{OnEvent: rec.on})
	defer f.Close()

	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.UnixConn).CloseWrite(), "half-close: the answer must still arrive")
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	c.Close()
	assert.Equal(t, "echo:hello", string(got))

	e := rec.next(t)
	assert.Equal(t, EventConnect, e.Kind)
	assert.Equal(t, "echo", e.Destination.Name)
	assert.Equal(t, addr, e.Destination.Address)
	e = rec.next(t)
	assert.Equal(t, EventClose, e.Kind)
	assert.Equal(t, int64(5), e.Sent)
	assert.Equal(t, int64(10), e.Received)
	assert.NoError(t, e.Err)
}

func TestForwardRefusals(t *testing.T) {
	t.Run("destination down", func(t *testing.T) {
		// A port that was free a moment ago: nothing listens there.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		l.Close()
		ln, path := unixListener(t)
		rec := newRecorder()
		f := Serve(ln, Destination{Name: "down", Address: addr}, Options{OnEvent: rec.on})
		defer f.Close()
		c, err := net.Dial("unix", path)
		require.NoError(t, err)
		defer c.Close()
		e := rec.next(t)
		assert.Equal(t, EventRefused, e.Kind)
		require.Error(t, e.Err)
		assert.Contains(t, e.Err.Error(), addr)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 1))
		assert.Equal(t, 0, n)
		assert.ErrorIs(t, err, io.EOF, "the worker's side is closed")
	})
	t.Run("over the connection limit", func(t *testing.T) {
		addr := echoServer(t)
		ln, path := unixListener(t)
		rec := newRecorder()
		f := Serve(ln, Destination{Name: "echo", Address: addr}, Options{OnEvent: rec.on, MaxConns: 1})
		defer f.Close()
		first, err := net.Dial("unix", path)
		require.NoError(t, err)
		defer first.Close()
		require.Equal(t, EventConnect, rec.next(t).Kind)
		second, err := net.Dial("unix", path)
		require.NoError(t, err)
		defer second.Close()
		e := rec.next(t)
		assert.Equal(t, EventRefused, e.Kind)
		assert.Contains(t, e.Err.Error(), "more than 1 open")
	})
	t.Run("dial sees only the configured address", func(t *testing.T) {
		ln, path := unixListener(t)
		rec := newRecorder()
		var dialed []string
		var mu sync.Mutex
		f := Serve(ln, Destination{Name: "x", Address: "192.0.2.1:5432"}, Options{OnEvent: rec.on,
			Dial: func(_ context.Context, network, address string) (net.Conn, error) {
				mu.Lock()
				dialed = append(dialed, network+" "+address)
				mu.Unlock()
				return nil, &net.OpError{Op: "dial", Err: io.ErrUnexpectedEOF}
			}})
		defer f.Close()
		c, err := net.Dial("unix", path)
		require.NoError(t, err)
		_, _ = c.Write([]byte("host=10.0.0.1 port=22\n"))
		defer c.Close()
		assert.Equal(t, EventRefused, rec.next(t).Kind)
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []string{"tcp 192.0.2.1:5432"}, dialed)
	})
}

func TestCloseEndsOpenConnections(t *testing.T) {
	addr := streamEchoServer(t)
	ln, path := unixListener(t)
	rec := newRecorder()
	f := Serve(ln, Destination{Name: "echo", Address: addr}, Options{OnEvent: rec.on})
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("abc"))
	require.NoError(t, err)
	require.Equal(t, EventConnect, rec.next(t).Kind)
	back := make([]byte, 3)
	_, err = io.ReadFull(c, back)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { f.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end an open connection")
	}
	e := rec.next(t)
	assert.Equal(t, EventClose, e.Kind)
	assert.Equal(t, int64(3), e.Sent)
	assert.Equal(t, int64(3), e.Received)
	_, err = net.Dial("unix", path)
	assert.Error(t, err, "nothing accepts after Close")
}

func TestConnectNotRecordedIsNotForwarded(t *testing.T) {
	addr := streamEchoServer(t)
	ln, path := unixListener(t)
	rec := newRecorder()
	rec.fail = true
	f := Serve(ln, Destination{Name: "echo", Address: addr}, Options{OnEvent: rec.on})
	defer f.Close()
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer c.Close()
	_, _ = c.Write([]byte("abc"))
	require.Equal(t, EventConnect, rec.next(t).Kind)
	e := rec.next(t)
	assert.Equal(t, EventClose, e.Kind)
	assert.Zero(t, e.Sent+e.Received)
	require.Error(t, e.Err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(make([]byte, 8))
	assert.Zero(t, n)
	assert.Error(t, err, "closed (EOF, or reset: the worker's bytes were never read)")
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "closed, not left open")
}
