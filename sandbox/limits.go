package sandbox

import (
	"fmt"
	"time"
)

// Limits bound what one session may consume. Evaluation limits apply to each
// evaluation; session limits to the worker's whole life.
type Limits struct {
	// Wall is the wall-clock limit of one evaluation. When it passes, the
	// worker's whole process group is killed with SIGKILL: R cannot catch it
	// (tryCatch(interrupt=) swallows SIGINT, RLIMIT_CPU ignores Sys.sleep).
	Wall time.Duration
	// CPU is the CPU time one evaluation may use (RLIMIT_CPU, re-armed
	// before every evaluation from the worker's CPU time so far).
	CPU time.Duration
	// Memory is the worker's address-space limit in bytes (RLIMIT_AS). R
	// turns a failed allocation into an R error.
	Memory int64
	// Output is the number of console bytes kept per evaluation; the rest
	// is cut and the result flagged as truncated.
	Output int64
	// SessionWall is the longest a session may live.
	SessionWall time.Duration
	// SessionCPU is the CPU time a session may use across evaluations.
	SessionCPU time.Duration
}

// DefaultLimits are safe limits for an unprivileged user on a shared server.
func DefaultLimits() Limits {
	return Limits{
		Wall:        30 * time.Second,
		CPU:         30 * time.Second,
		Memory:      2 << 30,
		Output:      1 << 20,
		SessionWall: time.Hour,
		SessionCPU:  10 * time.Minute,
	}
}

// minMemory is the least address space R needs to start and load its
// default packages (measured on R 4.2.2: 110 MB of mappings) plus headroom.
const minMemory = 256 << 20

// Validate reports limits that cannot work.
func (l Limits) Validate() error {
	switch {
	case l.Wall <= 0:
		return fmt.Errorf("wall limit must be positive")
	case l.CPU <= 0:
		return fmt.Errorf("cpu limit must be positive")
	case l.Memory < minMemory:
		return fmt.Errorf("memory limit %d is below the %d bytes R needs to run", l.Memory, int64(minMemory))
	case l.Output <= 0:
		return fmt.Errorf("output limit must be positive")
	case l.SessionWall <= 0 || l.SessionCPU <= 0:
		return fmt.Errorf("session limits must be positive")
	}
	return nil
}

// Capped returns l with every field at most max's.
func (l Limits) Capped(max Limits) Limits {
	minD := func(a, b time.Duration) time.Duration {
		if b > 0 && (a <= 0 || b < a) {
			return b
		}
		return a
	}
	minI := func(a, b int64) int64 {
		if b > 0 && (a <= 0 || b < a) {
			return b
		}
		return a
	}
	return Limits{
		Wall:        minD(l.Wall, max.Wall),
		CPU:         minD(l.CPU, max.CPU),
		Memory:      minI(l.Memory, max.Memory),
		Output:      minI(l.Output, max.Output),
		SessionWall: minD(l.SessionWall, max.SessionWall),
		SessionCPU:  minD(l.SessionCPU, max.SessionCPU),
	}
}
