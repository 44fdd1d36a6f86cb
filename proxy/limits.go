package proxy

import (
	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/sandbox"
)

// sandboxLimits turns a user's resolved limits into the worker's.
func sandboxLimits(l Limits) sandbox.Limits {
	return sandbox.Limits{Wall: l.Wall, CPU: l.CPU, Memory: l.Memory, Output: l.Output,
		SessionWall: l.SessionWall, SessionCPU: l.SessionCPU}
}

func auditLimits(l Limits) *audit.Limits {
	return &audit.Limits{Wall: l.Wall, CPU: l.CPU, Memory: l.Memory, Output: l.Output}
}

// ceilingLimits is the field-wise maximum of every limit the configuration
// can give a session (default, each role, each user): the pool's ceilings,
// so that no configured limit is cut by the pool.
func (c *Config) ceilingLimits() Limits {
	max := c.LimitsFor("", nil)
	up := func(l Limits) {
		if l.Wall > max.Wall {
			max.Wall = l.Wall
		}
		if l.CPU > max.CPU {
			max.CPU = l.CPU
		}
		if l.Memory > max.Memory {
			max.Memory = l.Memory
		}
		if l.Output > max.Output {
			max.Output = l.Output
		}
		if l.SessionWall > max.SessionWall {
			max.SessionWall = l.SessionWall
		}
		if l.SessionCPU > max.SessionCPU {
			max.SessionCPU = l.SessionCPU
		}
	}
	for role := range c.Limits.Roles {
		up(c.LimitsFor("", []string{role}))
	}
	for user := range c.Limits.Users {
		up(c.LimitsFor(user, nil))
	}
	return max
}
