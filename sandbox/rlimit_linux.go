package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Fixed limits of every worker.
const (
	workerOpenFiles = 256 // R's connection table holds 128; libraries open a few more
	workerProcesses = 64  // threads count too (fork is denied by seccomp anyway)
)

// initialRlimits are applied by the init before R starts, from the limits
// profile the worker is started for. They cannot be changed afterwards:
// lowering another uid's limits needs CAP_SYS_RESOURCE, which rwarden does
// not assume (and hosts like this one do not grant even to root).
func initialRlimits(cfg Config, p profile) []rlimitSpec {
	cpu := uint64((p.SessionCPU + time.Second - 1) / time.Second)
	if cpu < 1 {
		cpu = 1
	}
	mem := uint64(p.Memory)
	fsize := uint64(cfg.ScratchBytes)
	return []rlimitSpec{
		{"RLIMIT_AS", unix.RLIMIT_AS, mem, mem},
		{"RLIMIT_CPU", unix.RLIMIT_CPU, cpu, cpu + 1},
		{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE, fsize, fsize},
		{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE, workerOpenFiles, workerOpenFiles},
		{"RLIMIT_CORE", unix.RLIMIT_CORE, 0, 0},
		{"RLIMIT_NPROC", unix.RLIMIT_NPROC, workerProcesses, workerProcesses},
		{"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK, 0, 0},
	}
}

var clockTicks = func() time.Duration {
	// Linux reports process CPU in USER_HZ ticks, 100 per second on every
	// architecture rwarden runs on.
	return 10 * time.Millisecond
}()

// cpuReader reads a process's CPU time (user + system) from its
// /proc/PID/stat, kept open so each reading is one pread.
type cpuReader struct {
	f   *os.File
	buf [1024]byte
}

func openCPUReader(pid int) (*cpuReader, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	return &cpuReader{f: f}, nil
}

func (c *cpuReader) close() {
	if c != nil && c.f != nil {
		c.f.Close()
	}
}

func (c *cpuReader) read() (time.Duration, error) {
	n, err := c.f.ReadAt(c.buf[:], 0)
	if n == 0 && err != nil {
		return 0, err
	}
	return parseStatCPU(c.buf[:n])
}

// running reports whether the process is alive and not a zombie waiting
// to be reaped (a worker killed a moment ago).
func (c *cpuReader) running() bool {
	n, err := c.f.ReadAt(c.buf[:], 0)
	if n == 0 && err != nil {
		return false
	}
	b := c.buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	switch b[i+2] {
	case 'Z', 'X', 'x':
		return false
	}
	return true
}

// progress reports the process's CPU time and whether it is working: it
// has used CPU since prev, or it is runnable now (running or waiting for a
// CPU, state R). A nil reader is never working.
func (c *cpuReader) progress(prev time.Duration) (time.Duration, bool) {
	if c == nil || c.f == nil {
		return prev, false
	}
	n, err := c.f.ReadAt(c.buf[:], 0)
	if n == 0 && err != nil {
		return prev, false
	}
	b := c.buf[:n]
	now, err := parseStatCPU(b)
	if err != nil {
		return prev, false
	}
	i := bytes.LastIndexByte(b, ')')
	return now, now > prev || (i+2 < len(b) && b[i+2] == 'R')
}

// parseStatCPU extracts utime + stime from a /proc/PID/stat line.
func parseStatCPU(b []byte) (time.Duration, error) {
	// The command name is in parentheses and may contain spaces: fields
	// are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat format")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat format")
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat format")
	}
	return time.Duration(ut+st) * clockTicks, nil
}

// profile is what is fixed when a worker starts: the rlimits from the
// session's limits, and the runtime allowlist it is bound to (Allow, a hash
// of the bind request; "" for none). Workers are kept warm per profile, so
// a session takes one that is already bound.
type profile struct {
	Memory     int64
	SessionCPU time.Duration
	Allow      string
	// Sockets: the worker may create Unix-domain sockets (and only those)
	// to reach its session's egress forwarders; started cold, never forked
	// (egress_linux.go).
	Sockets bool
	// Mounts is the canonical form of the session's mounts (mountsKey);
	// "" for none. A worker with mounts serves only sessions of the same.
	Mounts string
}

func profileOf(l Limits) profile { return profile{Memory: l.Memory, SessionCPU: l.SessionCPU} }
