package transport

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedServer accepts on a loopback listener with limits; each accepted
// connection is held open until release is closed. refusals receives the
// refusals in order.
type limitedServer struct {
	addr     string
	tracker  *Tracker
	release  chan struct{}
	mu       sync.Mutex
	refusals []*Refused
}

func startLimited(t *testing.T, lim ConnLimits, listenerMax int) *limitedServer {
	t.Helper()
	lc := config.NewListener("127.0.0.1:0")
	lc.Plaintext, lc.MaxConnections = true, listenerMax
	l, err := Open(context.Background(), lc)
	require.NoError(t, err)
	s := &limitedServer{addr: l.Addr().String(), tracker: NewLimitedTracker(lim), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Accept(s.tracker, slog.New(slog.NewTextHandler(io.Discard, nil)), func(c *Conn) {
			_, _ = c.Write([]byte("ok"))
			<-s.release
		}, func(c net.Conn, r *Refused) {
			s.mu.Lock()
			s.refusals = append(s.refusals, r)
			s.mu.Unlock()
			_, _ = c.Write([]byte("no"))
		})
	}()
	t.Cleanup(func() {
		l.Close()
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		<-done
	})
	return s
}

// dialFrom connects from a loopback source address and reads the
// server's two-byte verdict ("ok" or "no").
func dialFrom(t *testing.T, src, addr string) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	b := make([]byte, 2)
	_, err = io.ReadFull(c, b)
	require.NoError(t, err)
	return c, string(b)
}

func TestConnectionLimits(t *testing.T) {
	tests := []struct {
		name        string
		lim         ConnLimits
		listenerMax int
		// sources of successive connections and the verdict each gets
		from   []string
		want   []string
		reason string
	}{
		{"per address", ConnLimits{PerAddress: 2}, 0,
			[]string{"127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.1", "127.0.0.1"},
			[]string{"ok", "ok", "no", "ok", "ok"}, RefusedPerAddress},
		{"total", ConnLimits{Total: 3, PerAddress: 10}, 0,
			[]string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"},
			[]string{"ok", "ok", "ok", "no"}, RefusedTotal},
		{"listener", ConnLimits{PerAddress: 10}, 2,
			[]string{"127.0.0.2", "127.0.0.3", "127.0.0.4"},
			[]string{"ok", "ok", "no"}, RefusedListener},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startLimited(t, tc.lim, tc.listenerMax)
			for i, src := range tc.from {
				_, got := dialFrom(t, src, s.addr)
				assert.Equal(t, tc.want[i], got, "connection %d from %s", i, src)
			}
			s.mu.Lock()
			require.Len(t, s.refusals, 1)
			assert.Equal(t, tc.reason, s.refusals[0].Reason)
			assert.Contains(t, s.refusals[0].Message(), "limit")
			s.mu.Unlock()

			// Closed connections give their places back.
			close(s.release)
			require.Eventually(t, func() bool { return s.tracker.Open() == 0 }, 5*time.Second, 10*time.Millisecond)
			_, got := dialFrom(t, tc.from[len(tc.from)-1], s.addr)
			assert.Equal(t, "ok", got)
		})
	}
}

func TestLimitsFor(t *testing.T) {
	tests := []struct {
		name                  string
		soft                  uint64
		reserve, total, perAd int
		want                  ConnLimits
		lowered, err          bool
	}{
		{"derived from the descriptor limit", 1024, 160, 0, 128, ConnLimits{Total: 864, PerAddress: 128}, false, false},
		{"configured below", 1024, 160, 500, 128, ConnLimits{Total: 500, PerAddress: 128}, false, false},
		{"configured above is lowered", 1024, 160, 5000, 128, ConnLimits{Total: 864, PerAddress: 128}, true, false},
		{"no room", 150, 160, 0, 128, ConnLimits{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, lowered, err := LimitsFor(tc.soft, tc.reserve, tc.total, tc.perAd)
			if tc.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "RLIMIT_NOFILE")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.lowered, lowered)
		})
	}
}

func TestAddressKey(t *testing.T) {
	assert.Equal(t, "192.0.2.7", addressKey(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 4}))
	assert.Equal(t, "192.0.2.7", addressKey(&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 4}))
	assert.Equal(t, "2001:db8:1:2::/64", addressKey(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6")}))
	assert.Equal(t, "", addressKey(&net.UnixAddr{Name: "/run/x.sock", Net: "unix"}))
}
