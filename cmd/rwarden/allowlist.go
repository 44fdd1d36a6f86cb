package main

import (
	"context"
	"errors"

	"github.com/rwarden/rwarden/sandbox"
)

// loadAllowlist resolves a user's runtime allowlist from the policies.
// TODO(lead): wire to policy.Engine once it lands (issue 3).
func loadAllowlist(ctx context.Context, dir, user, cacheDir, rHome string) (*sandbox.Allowlist, error) {
	return nil, errors.New("policies are not wired in yet")
}
