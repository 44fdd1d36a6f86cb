package sandbox

import (
	"os"
	"strconv"
	"time"

	"github.com/rwarden/rwarden/internal/procstat"

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
	return procstat.CPU(c.buf[:n])
}

// running reports whether the process is alive and not a zombie waiting
// to be reaped (a worker killed a moment ago).
func (c *cpuReader) running() bool {
	b, ok := c.stat()
	if !ok {
		return false
	}
	switch procstat.State(b) {
	case 'Z', 'X', 'x', 0:
		return false
	}
	return true
}

// stat reads the process's /proc/PID/stat line into the reader's buffer.
func (c *cpuReader) stat() ([]byte, bool) {
	n, err := c.f.ReadAt(c.buf[:], 0)
	if n == 0 && err != nil {
		return nil, false
	}
	return c.buf[:n], true
}

// progress reports the process's CPU time and whether it is working: it
// has used CPU since prev, or it is runnable now (running or waiting for a
// CPU, state R). A nil reader is never working.
func (c *cpuReader) progress(prev time.Duration) (time.Duration, bool) {
	if c == nil || c.f == nil {
		return prev, false
	}
	b, ok := c.stat()
	if !ok {
		return prev, false
	}
	now, err := procstat.CPU(b)
	if err != nil {
		return prev, false
	}
	return now, now > prev || procstat.State(b) == 'R'
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
