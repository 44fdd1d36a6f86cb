package egress

import (
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
