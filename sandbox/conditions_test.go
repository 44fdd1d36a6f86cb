package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamItem is one piece of an evaluation's stream: console text
// (kind 0) or a condition, and when it arrived.
type streamItem struct {
	kind ConditionKind
	text string
	at   time.Duration
}

// evalStreamed evaluates code with OnCondition set and returns the
// console text and conditions in the order they arrived.
func evalStreamed(t *testing.T, s *Session, code string) (*Result, []streamItem) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var items []streamItem
	start := time.Now()
	res, err := s.Eval(ctx, code, EvalOptions{OnCondition: func(k ConditionKind, text []byte) {
		items = append(items, streamItem{k, string(text), time.Since(start)})
	}}, func(b []byte) {
		items = append(items, streamItem{0, string(b), time.Since(start)})
	})
	require.NoError(t, err)
	return res, items
}

// TestConditionEvents: with OnCondition, each message and warning is
// delivered as R signals it, after the console output before it, while
// the console and the result stay as without it.
func TestConditionEvents(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())

	res, items := evalStreamed(t, s, `for (i in 1:3) { cat("tick", i, "\n"); message("note ", i); warning("careful ", i); Sys.sleep(0.3) }; cat("end\n")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, []string{"note 1\n", "note 2\n", "note 3\n"}, res.Messages)
	assert.Equal(t, []string{"careful 1", "careful 2", "careful 3"}, res.Warnings)
	out := string(res.Output)
	assert.True(t, strings.HasPrefix(out, "tick 1 \nnote 1\ntick 2 \nnote 2\ntick 3 \nnote 3\n"), out)
	assert.Contains(t, out, "Warning messages:\n1: careful 1")

	// The order of everything that arrived: console text up to each
	// message's own line, then the message, then the warning.
	var seq []string
	var msgTimes []time.Duration
	console := ""
	for _, it := range items {
		switch it.kind {
		case 0:
			console += it.text
			continue
		case ConditionMessage:
			msgTimes = append(msgTimes, it.at)
			seq = append(seq, "message:"+it.text+"|after:"+lastLine(console))
		case ConditionWarning:
			seq = append(seq, "warning:"+it.text+"|after:"+lastLine(console))
		}
	}
	assert.Equal(t, []string{
		"message:note 1\n|after:note 1", "warning:careful 1|after:note 1",
		"message:note 2\n|after:note 2", "warning:careful 2|after:note 2",
		"message:note 3\n|after:note 3", "warning:careful 3|after:note 3",
	}, seq)
	assert.Equal(t, out, console, "the stream holds the whole console")
	require.Len(t, msgTimes, 3)
	for i := 1; i < 3; i++ {
		assert.Greater(t, msgTimes[i]-msgTimes[i-1], 250*time.Millisecond, "spread over time, as signalled")
	}

	// A caught or muffled condition is not an event; a message to a
	// diverted message stream still is (its text went where R sends it).
	res, items = evalStreamed(t, s, `suppressWarnings(warning("no")); suppressMessages(message("no")); tryCatch(message("no"), message = function(m) NULL); message("yes")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	var conds []string
	for _, it := range items {
		if it.kind != 0 {
			conds = append(conds, it.text)
		}
	}
	assert.Equal(t, []string{"yes\n"}, conds)

	// At most 10,000 events an evaluation (the result lists them all).
	res, items = evalStreamed(t, s, `for (i in 1:10005) warning("w")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	n := 0
	for _, it := range items {
		if it.kind == ConditionWarning {
			n++
		}
	}
	assert.Equal(t, 10000, n)
	assert.Len(t, res.Warnings, 10005)

	// Without OnCondition nothing changes: no event frames are sent.
	res = eval(t, s, `message("m"); warning("w"); 1`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "m\nWarning message:\nw \n[1] 1\n", string(res.Output))
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}

// TestConditionFrame: an event frame is passed on only with the
// evaluation's nonce, a known kind and a length that matches its text.
func TestConditionFrame(t *testing.T) {
	nonce := []byte("0123456789abcdef")
	frame := func(n []byte, kind byte, l uint32, text string) []byte {
		b := append(append([]byte{}, n...), kind, byte(l), byte(l>>8), byte(l>>16), byte(l>>24))
		return append(b, text...)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		handler bool
		ok      bool
	}{
		{"message", frame(nonce, 1, 3, "hi\n"), true, true},
		{"warning", frame(nonce, 2, 0, ""), true, true},
		{"no handler", frame(nonce, 1, 3, "hi\n"), false, false},
		{"wrong nonce", frame([]byte("fedcba9876543210"), 1, 3, "hi\n"), true, false},
		{"unknown kind", frame(nonce, 3, 3, "hi\n"), true, false},
		{"length too long", frame(nonce, 1, 4, "hi\n"), true, false},
		{"length too short", frame(nonce, 1, 2, "hi\n"), true, false},
		{"truncated header", nonce[:10], true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			s := &consoleSink{nonce: nonce, limit: 1 << 20}
			if tc.handler {
				s.onCondition = func(k ConditionKind, b []byte) { got = append(got, string(b)) }
			}
			err := s.condition(tc.payload)
			if tc.ok {
				require.NoError(t, err)
				assert.Len(t, got, 1)
			} else {
				require.ErrorIs(t, err, errProtocol)
				assert.Empty(t, got)
			}
		})
	}
	// Once the output limit cut the console, conditions are dropped.
	var got int
	s := &consoleSink{nonce: nonce, limit: 1 << 20, truncated: true, onCondition: func(ConditionKind, []byte) { got++ }}
	require.NoError(t, s.condition(frame(nonce, 1, 1, "x")))
	assert.Zero(t, got)
	// They count against the output limit themselves: text plus 64 bytes
	// each (a loop of warnings prints nothing until it ends).
	s = &consoleSink{nonce: nonce, limit: 300, onCondition: func(ConditionKind, []byte) { got++ }}
	for range 10 {
		require.NoError(t, s.condition(frame(nonce, 2, 36, strings.Repeat("w", 36))))
	}
	assert.Equal(t, 3, got, "3 x (36 + 64) bytes fit in 300")
}
