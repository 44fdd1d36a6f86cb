package core

import (
	"fmt"

	"github.com/rwarden/rwarden/policy"
)

// Allowlist is a user's policy resolved against the installed R.
type Allowlist = policy.Allowlist

// Allowlist is what user may call and load under the current policy (for
// front ends that describe the policy to their clients, such as MCP's
// r_describe_policy). The policy keeps it per user and policy load.
func (c *Core) Allowlist(user string) (*Allowlist, error) {
	a, err := c.policy.Allowlist(user)
	if err != nil {
		return nil, fmt.Errorf("the allowlist of %s: %w", user, err)
	}
	return a, nil
}
