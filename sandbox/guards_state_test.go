package sandbox

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The harness's own state (its channels, the nonce, the loadable packages,
// the guards' tables) is out of reach of user code: frames by number,
// search-path entries by name, the harness's restarts and the values
// inside them, and the closures it hands out all fail or lead nowhere, and
// after every attempt the session still answers with its nonce intact.
func TestHarnessStateUnreachable(t *testing.T) {
	p := newTestPool(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	al := guestLikeAllowlist(t, handGuards(t))
	s, err := p.Acquire(ctx, Binding{User: "guest", Limits: testLimits(), Allowlist: al})
	require.NoError(t, err)
	defer s.Close()
	refused := regexp.MustCompile(`not allowed|could not find|not found|cannot change value of locked binding|cannot add bindings to a locked environment`)
	attempts := []string{
		`local(current_nonce, envir = -1)`,
		`local(current_nonce, envir = -3)`,
		`local(ls(), envir = 2)`,
		`with(-2, current_nonce)`,
		`with(3, ls())`,
		`ls(pos = 1)`,
		`ls(pos = -2)`,
		`ls("package:base")`,
		`ls(name = 2)`,
		`rm(list = "current_nonce", pos = -2)`,
		`new.env(parent = 1)`,
		`bquote(.(current_nonce), where = -2)`,
		`stopifnot(exprs = current_nonce, local = -2)`,
		`do.call("ls", list(), envir = -2)`,
		`substitute(current_nonce, -2)`,
		`r <- computeRestarts(); r[[1]]$exit`,
		`r <- computeRestarts(); r[[1]][["exit"]]`,
		`r <- computeRestarts(); e <- Find(is.environment, r[[1]]); with(e, ls())`,
		`r <- computeRestarts(); e <- Find(is.environment, r[[1]]); local(ls(), e)`,
		`r <- computeRestarts(); e <- Find(is.environment, r[[1]]); new.env(parent = e)`,
		`sys.frames()`,
		`sys.function()`,
		`parent.frame()`,
		`environment(sapply)`,
		`get("current_nonce")`,
		`.rwarden`,
		`guard`,
		`st`,
		`lapply <- NULL; base::lapply(1, function(i) environment())`,
		`sum <<- function(...) 0`,
	}
	for _, code := range attempts {
		res, err := s.Eval(ctx, code, EvalOptions{}, nil)
		require.NoError(t, err, code)
		if assert.NotEqual(t, StatusOK, res.Status, "%s: %s", code, res.Output) {
			assert.Regexp(t, refused, res.Error, code)
		}
		ok, err := s.Eval(ctx, "1 + 1", EvalOptions{}, nil)
		require.NoError(t, err, "the session broke after %s", code)
		require.Equal(t, "[1] 2\n", string(ok.Output), code)
	}
	// The first restart at the top level is the harness's own.
	res, err := s.Eval(ctx, `computeRestarts()[[1]][["name"]]`, EvalOptions{}, nil)
	require.NoError(t, err)
	require.Equal(t, "[1] \"abort\"\n", string(res.Output))
	// Its handler is enclosed by the empty environment: calling it leads
	// nowhere.
	res, err = s.Eval(ctx, `h <- computeRestarts()[[1]]$handler; h()`, EvalOptions{}, nil)
	require.NoError(t, err)
	require.Equal(t, "[1] TRUE\n", string(res.Output), res.Error)
	// The harness's restart is there (it catches invokeRestart("abort")),
	// but its handler leads nowhere: enclosed by the empty environment.
	res, err = s.Eval(ctx, `invokeRestart("abort")`, EvalOptions{}, nil)
	require.NoError(t, err)
	assert.Contains(t, res.Error, "evaluation aborted")
}
