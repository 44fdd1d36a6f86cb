package auth

import (
	"errors"
	"fmt"
)

// Params are the argon2id cost parameters of one hash.
type Params struct {
	MemoryKiB uint32 // memory per computation, KiB
	Time      uint32 // passes over the memory
	Threads   uint8  // lanes (parallelism)
	SaltLen   uint32 // bytes of random salt
	KeyLen    uint32 // bytes of derived key
}

// Caps on parameters accepted anywhere (hashing and verification). The users
// file is trusted only as far as these: a tampered line asking for 4 GiB and
// a thousand passes must not be able to take the server down, so it is
// refused at load time instead. 256 MiB at t=10 is already far above any
// sensible login cost.
const (
	MaxMemoryKiB = 256 * 1024
	MaxTime      = 10
	MaxThreads   = 16
	MinSaltLen   = 8
	MaxSaltLen   = 64
	MinKeyLen    = 16
	MaxKeyLen    = 64
)

// DefaultParams returns the OWASP recommendation for argon2id on a shared
// server: 19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte key. One login then
// costs a few tens of milliseconds and 19 MiB, so a handful can run at once
// without starving the R workers.
func DefaultParams() Params {
	return Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Validate reports why p cannot be used, or nil. It enforces the caps above
// and argon2's own lower bounds (at least one pass and one lane, and 8 KiB
// of memory per lane), which the argon2 package would otherwise panic on or
// silently round up.
func (p Params) Validate() error {
	var errs []error
	if p.Threads < 1 || p.Threads > MaxThreads {
		errs = append(errs, fmt.Errorf("threads %d outside 1..%d", p.Threads, MaxThreads))
	}
	if p.Time < 1 || p.Time > MaxTime {
		errs = append(errs, fmt.Errorf("time %d outside 1..%d", p.Time, MaxTime))
	}
	minMem := 8 * uint32(max(p.Threads, 1))
	if p.MemoryKiB < minMem || p.MemoryKiB > MaxMemoryKiB {
		errs = append(errs, fmt.Errorf("memory %d KiB outside %d..%d", p.MemoryKiB, minMem, MaxMemoryKiB))
	}
	if p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen {
		errs = append(errs, fmt.Errorf("salt length %d outside %d..%d", p.SaltLen, MinSaltLen, MaxSaltLen))
	}
	if p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen {
		errs = append(errs, fmt.Errorf("key length %d outside %d..%d", p.KeyLen, MinKeyLen, MaxKeyLen))
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid argon2id parameters: %w", errors.Join(errs...))
	}
	return nil
}
