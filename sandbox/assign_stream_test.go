package sandbox

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAssignStream: a streamed assignment (list(name, value) as R
// serializes it, written in pieces) lands in the session; one refused part
// way (the front end's check failed, or it wrote less than it announced)
// assigns nothing, and the session and its objects go on; the worker
// refuses code even when the stream says it is checked.
func TestAssignStream(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	ctx := context.Background()
	res := eval(t, s, `h <- function(x) cat(paste(as.character(x), collapse = " "), "\n", sep = "")
h(serialize(list("v", data.frame(a = 1:3, b = c("x", "y", "z"))), NULL))
h(serialize(list("g", function() 1), NULL))`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	lines := strings.Split(strings.TrimSpace(string(res.Output)), "\n")
	require.Len(t, lines, 2)
	data, code := hexBytes(t, lines[0]), hexBytes(t, lines[1])

	// In pieces of 7 bytes: the worker sees one request whatever the writes.
	inPieces := func(b []byte) func(io.Writer) error {
		return func(w io.Writer) error {
			for len(b) > 0 {
				k := min(7, len(b))
				if _, err := w.Write(b[:k]); err != nil {
					return err
				}
				b = b[k:]
			}
			return nil
		}
	}
	require.NoError(t, s.AssignStream(ctx, "v", int64(len(data)), inPieces(data)))
	res = eval(t, s, `cat(nrow(v), v$b, "\n")`)
	assert.Equal(t, "3 x y z \n", string(res.Output))

	refused := errors.New("not plain data: a closure")
	tests := []struct {
		name string
		n    int64
		fill func(io.Writer) error
		want string
	}{
		{"refused part way", int64(len(data)), func(w io.Writer) error {
			_, _ = w.Write(data[:len(data)/2])
			return refused
		}, "not plain data"},
		{"short", int64(len(data)), func(w io.Writer) error {
			_, err := w.Write(data[:len(data)-1])
			return err
		}, "short"},
		{"longer than announced", int64(len(data)) - 1, inPieces(data), "longer than it announced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.AssignStream(ctx, "w", tt.n, tt.fill)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrAssignRefused)
			assert.ErrorContains(t, err, tt.want)
			res := eval(t, s, `cat(exists("w"), nrow(v), "\n")`)
			assert.Equal(t, "FALSE 3 \n", string(res.Output), "nothing assigned, the session goes on")
		})
	}

	// The worker checks again: a function passed as checked is refused.
	err := s.AssignStream(ctx, "g", int64(len(code)), inPieces(code))
	assert.ErrorContains(t, err, "only data values can be assigned")
	res = eval(t, s, `cat(exists("g"), "\n")`)
	assert.Equal(t, "FALSE \n", string(res.Output))
}

// TestAssignStreamAtClientPace: a stream that takes longer than the wall
// limit as a whole (a slow client) goes through: only a worker that stops
// reading for that long would fail it.
func TestAssignStreamAtClientPace(t *testing.T) {
	p := newTestPool(t, nil)
	lim := testLimits()
	lim.Wall = 2 * time.Second
	s := acquire(t, p, lim)
	res := eval(t, s, `cat(paste(as.character(serialize(list("v", 1:10 + 0.5), NULL)), collapse = " "), "\n")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	data := hexBytes(t, strings.TrimSpace(string(res.Output)))
	third := len(data) / 3
	err := s.AssignStream(context.Background(), "v", int64(len(data)), func(w io.Writer) error {
		for i, piece := range [][]byte{data[:third], data[third : 2*third], data[2*third:]} {
			if i > 0 {
				time.Sleep(1500 * time.Millisecond)
			}
			if _, err := w.Write(piece); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	res = eval(t, s, `cat(sum(v), "\n")`)
	assert.Equal(t, "60 \n", string(res.Output))
}
