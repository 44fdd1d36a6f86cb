package audit

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStats(t *testing.T) {
	file := fixedChain(t, 20)
	st := NewStats()
	_, err := Query([]string{file}, Filter{}, func(r *Record) error { st.Add(r); return nil })
	require.NoError(t, err)

	// sample(i): i%5 == 0 auth ok, 1 allowed, 2 denied, 3 error, 4 auth failure.
	assert.Equal(t, 20, st.Records)
	assert.Equal(t, map[string]int{EventAuth: 8, EventEval: 12}, st.ByEvent)
	assert.Equal(t, map[string]int{DecisionAllowed: 4, DecisionDenied: 4, DecisionError: 4}, st.ByDecision)
	// alice has i = 0,3,6,9,12,15,18: auth ok(0,15), error(3,18), allowed(6), denied(12), auth failure(9).
	assert.Equal(t, map[string]int{"auth_success": 2, DecisionError: 2, DecisionAllowed: 1, DecisionDenied: 1, "auth_failure": 1},
		st.ByUser["alice"])
	assert.Equal(t, []Count{{"base::system", 4}}, st.TopDenied(10))

	var out bytes.Buffer
	require.NoError(t, st.WriteText(&out, 10))
	golden(t, "stats.golden", out.Bytes())
}
