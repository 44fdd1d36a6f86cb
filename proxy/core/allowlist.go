package core

import (
	"fmt"

	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/sandbox"
)

// SandboxAllowlist turns a user's resolved policy allowlist into the
// worker's: the one place the two are joined (rwarden sandbox run uses it
// too).
func SandboxAllowlist(a *policy.Allowlist) *sandbox.Allowlist {
	guards := make([]sandbox.Guard, len(a.Guards))
	for i, g := range a.Guards {
		guards[i] = sandbox.Guard{Function: g.Function, Param: g.Param, Kind: g.Kind}
	}
	return &sandbox.Allowlist{Functions: a.Functions, Packages: a.Packages, Internal: a.Internal, Guards: guards}
}

// runtimeAllowlist resolves the user's policy into the worker's allowlist.
func (c *Core) runtimeAllowlist(user string) (*sandbox.Allowlist, error) {
	a, err := c.policy.Allowlist(user)
	if err != nil {
		return nil, err
	}
	// The policy keeps one allowlist per user and policy load; keeping one
	// sandbox form per policy allowlist lets the sandbox encode and hash it
	// once, not for every session. Reloads drop the old forms.
	if sa, ok := c.allowlists.Load(a); ok {
		return sa.(*sandbox.Allowlist), nil
	}
	sa, _ := c.allowlists.LoadOrStore(a, SandboxAllowlist(a))
	return sa.(*sandbox.Allowlist), nil
}

// binding is what a user's worker is bound to.
func (c *Core) binding(user string, l Limits) (sandbox.Binding, error) {
	allow, err := c.runtimeAllowlist(user)
	if err != nil {
		return sandbox.Binding{}, err
	}
	mounts, err := c.mountsFor(user)
	if err != nil {
		return sandbox.Binding{}, fmt.Errorf("data mounts of %s: %w", user, err)
	}
	return sandbox.Binding{User: user, Limits: l.Limits, Allowlist: allow, Mounts: mounts}, nil
}
