package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rwarden/rwarden/internal/testutil"
)

// startRelay listens on a loopback port and forwards every connection to
// upstream byte for byte, in both directions: a proxy that does nothing (no
// TLS termination, no policy check, no audit, no sandbox). Put in front of
// Rserve, it shows what a separate process between the client and R costs
// by itself, which no design with a proxy in front of R can avoid.
//
// relayMode is how a relay moves bytes.
type relayMode int

const (
	// relayGo: a goroutine per direction, io.Copy (Go's netpoller).
	relayGo relayMode = iota
	// relaySpin: one thread per connection polling both sockets without
	// sleeping (spinCopy).
	relaySpin
	// relayBlocking: a locked thread per direction sleeping in blocking
	// reads, no netpoller (blockingCopy).
	relayBlocking
)

// With relaySpin, each connection's bytes are moved by one goroutine on a
// thread of its own that polls both sockets without ever sleeping (a whole
// CPU per connection): the least a proxy process can add to a round trip on
// this machine, since the hop from the client to it never waits for a
// wake-up.
func startRelay(b *testing.B, upstream string, mode relayMode) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	// A connection ends when either side closes it (the client's
	// RS.close, or its end); the deadline only bounds a stuck benchmark.
	testutil.ServeConns(b, ln, time.Hour, func(c net.Conn) {
		u, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		defer u.Close()
		switch mode {
		case relaySpin:
			spinCopy(c.(*net.TCPConn), u.(*net.TCPConn))
			return
		case relayBlocking:
			blockingCopy(c.(*net.TCPConn), u.(*net.TCPConn))
			return
		}
		done := make(chan struct{})
		go func() { _, _ = io.Copy(u, c); u.Close(); close(done) }()
		_, _ = io.Copy(c, u)
		c.Close()
		<-done
	})
	return ln.Addr().String()
}

// spinCopy moves bytes between a and b until either side closes, reading
// both non-blocking sockets in turn without sleeping.
func spinCopy(a, b *net.TCPConn) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ra, errA := a.SyscallConn()
	rb, errB := b.SyscallConn()
	if errA != nil || errB != nil {
		return
	}
	buf := make([]byte, 64<<10)
	// move reads what from holds now and writes all of it to to; it
	// reports false once either socket is closed or failed.
	move := func(from, to syscallConn) bool {
		var n int
		var rerr error
		if err := from.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return true
		}); err != nil {
			return false
		}
		switch {
		case errors.Is(rerr, unix.EAGAIN) || errors.Is(rerr, unix.EINTR):
			return true
		case rerr != nil || n == 0:
			return false
		}
		for off := 0; off < n; {
			var m int
			var werr error
			if err := to.Write(func(fd uintptr) bool {
				m, werr = unix.Write(int(fd), buf[off:n])
				return true
			}); err != nil {
				return false
			}
			switch {
			case m > 0:
				off += m
			case errors.Is(werr, unix.EAGAIN) || errors.Is(werr, unix.EINTR):
			default:
				return false
			}
		}
		return true
	}
	for move(ra, rb) && move(rb, ra) {
	}
}

// blockingCopy moves bytes in each direction on a locked thread of its
// own that sleeps in blocking reads (no netpoller): whether Go's netpoller
// (a wake-up of the poller, then of the goroutine) is what a relay's hop
// costs. It is not: on this machine kind both cost the same (see
// BenchmarkQAP1LeanRoundTrip in docs/benchmarks.md).
func blockingCopy(a, b *net.TCPConn) {
	fa, errA := a.File()
	fb, errB := b.File()
	if errA != nil || errB != nil {
		return
	}
	defer fa.Close()
	defer fb.Close()
	for _, f := range []*os.File{fa, fb} {
		_ = unix.SetNonblock(int(f.Fd()), false)
	}
	one := func(from, to int, done chan struct{}) {
		defer close(done)
		runtime.LockOSThread()
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(from, buf)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || n == 0 {
				_ = unix.Shutdown(to, unix.SHUT_WR)
				return
			}
			if _, err := unix.Write(to, buf[:n]); err != nil {
				return
			}
		}
	}
	d1, d2 := make(chan struct{}), make(chan struct{})
	go one(int(fa.Fd()), int(fb.Fd()), d1)
	go one(int(fb.Fd()), int(fa.Fd()), d2)
	<-d1
	<-d2
}

// syscallConn is the part of syscall.RawConn spinCopy uses.
type syscallConn interface {
	Read(func(fd uintptr) bool) error
	Write(func(fd uintptr) bool) error
}
