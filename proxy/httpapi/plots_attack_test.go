package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackInlinePlotsBounded: a one-shot evaluation drawing 3 plots of
// some 15 MiB of SVG each gets an answer with at most 16 MiB of them
// inline; the rest are listed with the reason. Before the bound 16 such
// plots made a 326 MiB answer that cost rwarden gigabytes of memory.
// Rendering them takes seconds, more under the race detector on a busy
// machine, so alice's wall limit is raised for this test.
func TestAttackInlinePlotsBounded(t *testing.T) {
	wall := config.Duration(3 * time.Minute)
	a := startAPI(t, func(c *config.Config) {
		if c.Limits.Users == nil {
			c.Limits.Users = map[string]config.LimitSet{}
		}
		c.Limits.Users["alice"] = config.LimitSet{Wall: &wall}
	})
	code := strings.Repeat("plot(runif(4e4), runif(4e4), pch = 1:25)\n", 3)
	status, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": code})
	require.Equal(t, http.StatusOK, status, "%.300s", body)
	var r struct {
		Plots []struct{ PNG, SVG, Omitted string }
	}
	require.NoError(t, json.Unmarshal(body, &r))
	require.Len(t, r.Plots, 3, "every plot is listed")
	var inline, omitted int
	for _, p := range r.Plots {
		if p.Omitted != "" {
			omitted++
			assert.Empty(t, p.PNG+p.SVG)
			assert.Contains(t, p.Omitted, "draw in a session")
			continue
		}
		inline++
		assert.True(t, strings.HasPrefix(p.SVG, "data:image/svg+xml;base64,"))
	}
	assert.Positive(t, inline)
	assert.Positive(t, omitted)
	assert.Less(t, len(body), 24<<20, "16 MiB of plots, base64: about 21.3 MiB")
	t.Logf("%d inline, %d omitted, answer %d bytes", inline, omitted, len(body))
}
