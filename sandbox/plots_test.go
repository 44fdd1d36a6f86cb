package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlotCapture: with EvalOptions.Plots the worker returns each plot the
// evaluation drew as PNG and SVG, one per page, and leaves no files or
// devices behind.
func TestPlotCapture(t *testing.T) {
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	run := func(code string, plots bool) *Result {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		res, err := s.Eval(ctx, code, EvalOptions{Plots: plots}, nil)
		require.NoError(t, err)
		require.Equal(t, StatusOK, res.Status, res.Error)
		return res
	}
	res := run("plot(1:3)\nlines(3:1)\nhist(c(1, 2, 2))\nx <- 1", true)
	require.Equal(t, 2, len(res.Plots), "plot+lines is one page, hist another")
	for _, pl := range res.Plots {
		assert.True(t, bytes.HasPrefix(pl.PNG, []byte("\x89PNG")), "a PNG")
		assert.True(t, strings.Contains(string(pl.SVG), "<svg"), "an SVG")
	}
	assert.Empty(t, run("y <- 2", true).Plots)

	// At most 16; the pages a loop draws within one expression keep the
	// last. (A page identical to the one before it is not told apart from
	// no new drawing: plot(1) twice in a row is one plot.)
	var code strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&code, "plot(%d)\n", i)
	}
	res = run(code.String(), true)
	assert.Equal(t, 16, len(res.Plots))
	res = run("for (i in 1:3) plot(i)", true)
	assert.Equal(t, 1, len(res.Plots))

	// Nothing left behind: no open device, no plot files in scratch.
	res = run(`c(length(dev.list()), length(list.files(tempdir(), pattern = "^rwarden-plot-")))`, false)
	assert.Equal(t, "[1] 0 0\n", string(res.Output))

	// The capture device opens only when the code draws: before that the
	// code sees no device, as at R's console. Closing it and drawing again
	// opens another, captured too; getOption("device") is R's again after.
	run(`d0 <- getOption("device")`, false)
	res = run(`dev.cur()`, true)
	assert.Equal(t, "null device \n          1 \n", string(res.Output))
	assert.Empty(t, res.Plots)
	res = run("plot(1:3)\ndev.off()\nhist(c(1, 2, 2))", true)
	assert.Len(t, res.Plots, 2)
	assert.Contains(t, string(res.Output), "null device")
	res = run(`c(length(dev.list()), identical(d0, getOption("device")))`, false)
	assert.Equal(t, "[1] 0 1\n", string(res.Output))

	// What user code finds through the device option: the number of the
	// device it opened, under base; nothing of the harness.
	res = run(`e <- environment(getOption("device")); c(ls(e, all.names = TRUE), environmentName(parent.env(e)))`, true)
	assert.Equal(t, "[1] \"opened\" \"base\"  \n", string(res.Output))

	// An evaluation that jumps out of the harness (the abort restart)
	// leaves neither the capture device nor the device option behind.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ab, err := s.Eval(ctx, `plot(1); invokeRestart("abort")`, EvalOptions{Plots: true}, nil)
	require.NoError(t, err)
	assert.Equal(t, StatusError, ab.Status)
	res = run(`c(length(dev.list()), identical(d0, getOption("device")))`, false)
	assert.Equal(t, "[1] 0 1\n", string(res.Output))

	// A device of the code's own, left open: drawing goes there, as at R's
	// console, and it stays open.
	res = run(`pdf(file.path(tempdir(), "own.pdf")); plot(1)`, true)
	assert.Empty(t, res.Plots)
	res = run(`plot(2); names(dev.cur())`, true)
	assert.Empty(t, res.Plots)
	assert.Equal(t, "[1] \"pdf\"\n", string(res.Output))
	run(`invisible(dev.off())`, false)

	// Not asked for: nothing captured (R opens its own default device).
	assert.Empty(t, run("plot(1)", false).Plots)
}
