package audit

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twoPhaseChain writes a chain of two-phase evaluations: e1 finished, e2
// has no outcome (rwarden was killed), e3 was cut at shutdown (an outcome
// recorded as interrupted), e4 has no outcome either.
func twoPhaseChain(t *testing.T) string {
	t.Helper()
	start := func(id, code string) *Record {
		r := &Record{Event: EventEvalStart, Session: "s-1", User: "alice", Remote: "127.0.0.1:4000",
			Status: StatusStarted, Detail: map[string]string{DetailEvalID: id}}
		r.SetCode([]byte(code), CodeFull)
		return r
	}
	outcome := func(id, code, decision string) *Record {
		r := &Record{Event: EventEval, Session: "s-1", User: "alice", Remote: "127.0.0.1:4000",
			Decision: decision, Detail: map[string]string{DetailEvalID: id}}
		r.SetCode([]byte(code), CodeFull)
		if decision == DecisionInterrupted {
			r.Error = "evaluation interrupted before it finished (context canceled): rwarden is shutting down"
		}
		return r
	}
	recs := []*Record{
		{Event: EventServerStart},
		start("s-1.1", "1+1"), outcome("s-1.1", "1+1", DecisionAllowed),
		start("s-1.2", "Sys.sleep(30); 2"),
		start("s-1.3", "Sys.sleep(30); 3"), outcome("s-1.3", "Sys.sleep(30); 3", DecisionInterrupted),
		start("s-1.4", "Sys.sleep(30); 4"),
		{Event: EventServerStart},
	}
	var buf []byte
	prev := ZeroHash
	for i, r := range recs {
		r.Time, r.Seq, r.PrevHash = t0.Add(time.Duration(i)*time.Second), uint64(i+1), prev
		buf = seal(buf, r)
		prev = r.Hash
	}
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	writeLines(t, file, strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n"))
	return file
}

func TestInterruptedEvaluations(t *testing.T) {
	file := twoPhaseChain(t)
	seqs, err := Interrupted([]string{file})
	require.NoError(t, err)
	assert.Equal(t, []uint64{4, 7}, seqs, "the starts without an outcome")

	rep := requireIntact(t, file)
	assert.Equal(t, []uint64{4, 7}, rep.Interrupted, "verify passes and lists them")

	tests := []struct {
		name   string
		filter Filter
		want   []uint64
		marked []uint64
	}{
		{"all", Filter{}, seqRange(1, 8), []uint64{4, 7}},
		{"interrupted", Filter{Decision: DecisionInterrupted}, []uint64{4, 6, 7}, []uint64{4, 7}},
		{"starts", Filter{Event: EventEvalStart}, []uint64{2, 4, 5, 7}, []uint64{4, 7}},
		{"outcomes", Filter{Event: EventEval}, []uint64{3, 6}, nil},
		{"interrupted outcomes", Filter{Event: EventEval, Decision: DecisionInterrupted}, []uint64{6}, nil},
		{"allowed", Filter{Decision: DecisionAllowed}, []uint64{3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, marked []uint64
			_, err := QueryEvals([]string{file}, tt.filter, func(r *Record, interrupted bool) error {
				got = append(got, r.Seq)
				if interrupted {
					marked = append(marked, r.Seq)
				}
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.marked, marked)
		})
	}
}

func TestQueryInterruptedTableGolden(t *testing.T) {
	file := twoPhaseChain(t)
	var out bytes.Buffer
	table := NewTable(&out)
	_, err := QueryEvals([]string{file}, Filter{}, table.RowEval)
	require.NoError(t, err)
	golden(t, "query_interrupted.golden", out.Bytes())
}

// An eval_start must carry the id that links it to its outcome.
func TestEvalStartNeedsID(t *testing.T) {
	l := openLog(t, Config{})
	err := l.Write(t.Context(), &Record{Event: EventEvalStart, Status: StatusStarted})
	require.Error(t, err)
	require.NoError(t, l.Write(t.Context(), &Record{Event: EventEvalStart, Status: StatusStarted,
		Detail: map[string]string{DetailEvalID: "s-1.1"}}))
}
