package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// Config configures workers and the pool. Zero values take safe defaults
// (see withDefaults).
type Config struct {
	// RHome is R's home directory; the worker execs RHome/bin/exec/R.
	RHome string
	// Executable is the rwarden binary re-executed as the worker init.
	// Default: this process's own executable.
	Executable string
	// ScratchRoot holds one private scratch directory per worker. Required.
	ScratchRoot string
	// ScratchBytes is each worker's scratch disk quota: the size of its
	// private tmpfs when running as root, and RLIMIT_FSIZE plus a usage check
	// after each evaluation otherwise.
	ScratchBytes int64
	// UIDFirst..UIDLast is the range of uids (and equal gids) given to
	// workers when rwarden runs as root, one uid per live worker.
	UIDFirst, UIDLast int
	// User, when set, runs every worker as this system user instead of a uid
	// from the range (root only).
	User string
	// MaxLimits are ceilings: per-session limits are capped to them, and the
	// worker starts under them before a session lowers them further.
	MaxLimits Limits
	// WarmLimits, when set, keeps Warm unrestricted workers with these
	// limits ready at all times (sessions without an allowlist). Profiles
	// sessions ask for, or announced with Prewarm, are kept warm while in
	// demand whatever this says.
	WarmLimits Limits
	// Warm is the number of started, idle workers kept ready per profile.
	Warm int
	// Max is the global maximum of live workers (idle and busy).
	Max int
	// StartTimeout bounds the start of one worker (R start-up and loading
	// the default packages).
	StartTimeout time.Duration
	// MaxResultBytes bounds one response from a worker (including a
	// serialized value) before rwarden allocates for it.
	MaxResultBytes int64
	// BusyPoll is how long rwarden polls for a worker's answer, and a worker
	// whose session sends requests back to back polls for the next one,
	// before sleeping (see harness.R, next_request): waking a sleeping
	// process costs more than a small evaluation on virtual machines. Only
	// evaluations of the few busiest sessions poll (hotSessions). Zero
	// means DefaultBusyPoll; negative turns polling off. At most
	// MaxBusyPoll.
	BusyPoll time.Duration
	// DisableFork starts every session's R cold (a re-exec of rwarden, about
	// 150 ms of CPU) instead of forking it from a prepared template R (see
	// docs/sandbox.md, "Forked sessions"). Forks need a Linux with Landlock
	// and the fork library; when the template cannot start, the pool logs
	// it loudly and starts workers cold.
	DisableFork bool
	// ForkLibrary is the compiled fork library (forklib/rwarden_fork.c).
	// Default: ForkLibraryName next to the executable, else one compiled
	// with gcc from the embedded source into a private cache directory.
	ForkLibrary string
	// Insecure runs workers WITHOUT Landlock, seccomp, namespaces or uid
	// drop. Development only; logged loudly. Never the default.
	Insecure bool
	Logger   *slog.Logger
}

// Defaults of the Config fields.
const (
	DefaultRHome          = "/usr/lib/R"
	DefaultScratchBytes   = 256 << 20
	DefaultUIDFirst       = 61000
	DefaultUIDLast        = 61999
	DefaultWarm           = 2
	DefaultMax            = 16
	DefaultStartTimeout   = 30 * time.Second
	DefaultMaxResultBytes = 256 << 20
	DefaultBusyPoll       = 250 * time.Microsecond
	MaxBusyPoll           = 10 * time.Millisecond
)

func (c Config) withDefaults() (Config, error) {
	if c.RHome == "" {
		c.RHome = DefaultRHome
	}
	if c.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return c, fmt.Errorf("finding the rwarden executable to re-exec: %w", err)
		}
		c.Executable = exe
	}
	if c.ScratchRoot == "" {
		return c, errors.New("sandbox: no scratch root configured")
	}
	abs, err := filepath.Abs(c.ScratchRoot)
	if err != nil {
		return c, fmt.Errorf("scratch root: %w", err)
	}
	c.ScratchRoot = abs
	if c.ScratchBytes <= 0 {
		c.ScratchBytes = DefaultScratchBytes
	}
	if c.UIDFirst == 0 && c.UIDLast == 0 {
		c.UIDFirst, c.UIDLast = DefaultUIDFirst, DefaultUIDLast
	}
	if c.UIDFirst <= 0 || c.UIDLast < c.UIDFirst || c.UIDLast > 1<<31-2 {
		return c, fmt.Errorf("sandbox: bad worker uid range %d-%d", c.UIDFirst, c.UIDLast)
	}
	if c.MaxLimits == (Limits{}) {
		c.MaxLimits = DefaultLimits()
	}
	if err := c.MaxLimits.Validate(); err != nil {
		return c, fmt.Errorf("sandbox limits: %w", err)
	}
	if c.WarmLimits != (Limits{}) {
		c.WarmLimits = c.WarmLimits.Capped(c.MaxLimits)
	}
	if c.Warm < 0 {
		c.Warm = 0
	}
	if c.Max <= 0 {
		c.Max = DefaultMax
	}
	if c.Warm > c.Max {
		c.Warm = c.Max
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = DefaultMaxResultBytes
	}
	switch {
	case c.BusyPoll == 0:
		c.BusyPoll = DefaultBusyPoll
	case c.BusyPoll < 0:
		c.BusyPoll = 0
	case c.BusyPoll > MaxBusyPoll:
		return c, fmt.Errorf("sandbox: busy poll %v exceeds the maximum of %v", c.BusyPoll, MaxBusyPoll)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// rBinary is the R executable itself, not the bin/R shell script.
func (c Config) rBinary() string { return filepath.Join(c.RHome, "bin", "exec", "R") }

// fixedUser resolves Config.User to a uid and gid.
func (c Config) fixedUser() (uid, gid int, err error) {
	u, err := user.Lookup(c.User)
	if err != nil {
		return 0, 0, fmt.Errorf("worker user %q: %w", c.User, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("worker user %q has a non-numeric uid/gid", c.User)
	}
	if uid == 0 {
		return 0, 0, fmt.Errorf("worker user %q is root; workers must not run as root", c.User)
	}
	return uid, gid, nil
}
