package core

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rwarden/rwarden/audit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A policy that loads but most likely does not say what was meant (issue
// 11: an empty user file, a grant of a package that is not installed) is
// in the audit record of the start, and of the reload, that brought it
// into force.
func TestPolicyWarningsAudited(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	users := filepath.Join(cfg.PoliciesDir, "users")
	require.NoError(t, os.WriteFile(filepath.Join(users, "bob.csv"), []byte("# nothing granted yet\n"), 0o644))
	c := openCore(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, c.Start(ctx))

	// A reload that adds a grant of a package this R does not have.
	require.NoError(t, os.WriteFile(filepath.Join(users, "carol.csv"),
		[]byte("g, carol, role:restricted\np, carol, pkg:notinstalledpkg, load, allow\n"), 0o644))
	require.NoError(t, c.Reload())

	var start, reload *audit.Record
	require.NoError(t, audit.ReadFiles([]string{cfg.Audit.File}, func(e audit.Entry) error {
		require.NoError(t, e.Err)
		switch e.Rec.Event {
		case audit.EventServerStart:
			start = e.Rec
		case audit.EventPolicyReload:
			reload = e.Rec
		}
		return nil
	}))
	require.NotNil(t, start)
	require.NotNil(t, reload)
	assert.Contains(t, start.Detail["policy_warnings"], "bob.csv: user file of bob has no rules")
	assert.NotContains(t, start.Detail["policy_warnings"], "notinstalledpkg")
	assert.Contains(t, reload.Detail["policy_warnings"], "bob.csv: user file of bob has no rules")
	assert.Contains(t, reload.Detail["policy_warnings"], "carol.csv:2: rule")
	assert.Contains(t, reload.Detail["policy_warnings"], "grants package notinstalledpkg, which is not installed")
}
