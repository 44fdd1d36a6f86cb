package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/sandbox"
)

// loadAllowlist resolves a user's runtime allowlist from the policies, for
// `rwarden sandbox run --policies DIR --user NAME` (runtime layer alone, no
// static check).
func loadAllowlist(ctx context.Context, dir, user, cacheDir, rHome string) (*sandbox.Allowlist, error) {
	if cacheDir == "" {
		cacheDir = defaultPolicyCacheDir()
	}
	eng, err := policy.Open(ctx, policy.Config{Dir: dir, CacheDir: cacheDir, RHome: rHome,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, err
	}
	a, err := eng.Allowlist(user)
	if err != nil {
		return nil, err
	}
	return core.SandboxAllowlist(a), nil
}
