package egress

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefusalFloodIsAggregated: a worker that connects in a loop past the
// connection limit, or to a destination that is down, gets every attempt
// refused, but the refusals are reported about once a second with their
// count (an audit record each would let one session flood the trail), and
// the counts add up to every refused attempt once the forwarder closes.
func TestRefusalFloodIsAggregated(t *testing.T) {
	down, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	downAddr := down.Addr().String()
	down.Close()
	tests := []struct {
		name, addr string
		hold       bool // hold one connection open: the rest are over the limit
	}{
		{"over the connection limit", echoServer(t), true},
		{"destination down", downAddr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, path := unixListener(t)
			rec := newRecorder()
			f := Serve(ln, Destination{Name: "x", Address: tt.addr}, Options{OnEvent: rec.on, MaxConns: 1})
			if tt.hold {
				first, err := net.Dial("unix", path)
				require.NoError(t, err)
				defer first.Close()
				require.Equal(t, EventConnect, rec.next(t).Kind)
			}
			const attempts = 300
			start := time.Now()
			for range attempts {
				c, err := net.Dial("unix", path)
				require.NoError(t, err)
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, _ = c.Read(make([]byte, 1)) // closed by the forwarder
				c.Close()
			}
			took := time.Since(start)
			f.Close()

			rec.mu.Lock()
			defer rec.mu.Unlock()
			var events, refused int64
			for _, e := range rec.ev {
				if e.Kind != EventRefused {
					continue
				}
				events++
				refused += e.Refused
				require.Error(t, e.Err)
			}
			assert.Equal(t, int64(attempts), refused, "every refusal is counted")
			assert.LessOrEqual(t, events, int64(took/refusalEvery)+2, "about one event a second (%d in %v)", events, took)
			assert.Less(t, events, int64(attempts)/10)
		})
	}
}

// TestConnectLoopIsSummarised: a worker that connects in a loop (each
// connection forwarded and answered) gets its first Options.Detailed
// connections reported one by one, and the rest in summary events at
// most every summaryEvery: the events stay few however fast it loops,
// and every connection is in exactly one close or summary, with its bytes.
func TestConnectLoopIsSummarised(t *testing.T) {
	addr := echoServer(t)
	ln, path := unixListener(t)
	rec := newRecorder()
	rec.ch = make(chan Event, 1<<16)
	const detailed = 5
	f := Serve(ln, Destination{Name: "echo", Address: addr}, Options{OnEvent: rec.on, Detailed: detailed})
	start := time.Now()
	var conns int64
	for time.Since(start) < 3*time.Second {
		c, err := net.Dial("unix", path)
		require.NoError(t, err)
		_, err = c.Write([]byte("abc"))
		require.NoError(t, err)
		require.NoError(t, c.(*net.UnixConn).CloseWrite())
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "echo:abc", string(got))
		c.Close()
		conns++
	}
	took := time.Since(start)
	f.Close()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	counts := map[string]int64{}
	var quietConnects, accounted, sent, received int64
	for _, e := range rec.ev {
		counts[e.Kind]++
		switch {
		case e.Kind == EventConnect && e.Quiet:
			quietConnects++
		case e.Kind == EventClose:
			accounted++
			sent += e.Sent
			received += e.Received
		case e.Kind == EventSummary:
			accounted += e.Conns
			sent += e.Sent
			received += e.Received
			assert.Zero(t, e.Failed)
		}
	}
	t.Logf("%d connections in %v: %v", conns, took, counts)
	require.Greater(t, conns, int64(2*detailed), "the loop went past the detailed connections")
	assert.Equal(t, conns, accounted, "every connection is in one close or summary event")
	assert.Equal(t, 3*conns, sent)
	assert.Equal(t, 8*conns, received)
	assert.Equal(t, int64(detailed), counts[EventConnect]-quietConnects, "recorded connects")
	assert.Equal(t, int64(detailed), counts[EventClose])
	assert.LessOrEqual(t, counts[EventSummary], int64(took/summaryEvery)+2)
	assert.GreaterOrEqual(t, counts[EventSummary], int64(1))
}
