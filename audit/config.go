package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Fsync policies (Config.Fsync).
const (
	// FsyncAlways makes every record durable before Write returns. Records
	// that arrive while a batch is being written form the next batch, so
	// concurrent writers share one write and one fsync (group commit) without
	// any added delay.
	FsyncAlways = "always"
	// FsyncBatch is FsyncAlways plus a short gathering window (BatchDelay)
	// before each commit, trading a little latency for fewer fsyncs under
	// load. Records are still durable before Write returns.
	FsyncBatch = "batch"
	// FsyncNever writes each batch with write(2) but never fsyncs: records
	// survive a crash of rwarden, not of the machine.
	FsyncNever = "never"
)

// Defaults for the group commit.
const (
	DefaultBatchDelay = time.Millisecond
	maxBatchRecords   = 1024
	maxBatchBytes     = 4 << 20
)

// Config configures a Log.
type Config struct {
	File        string        // the live audit file; rotated files sit next to it
	Fsync       string        // FsyncAlways (default) | FsyncBatch | FsyncNever
	RotateBytes int64         // rotate once the file has reached this size; 0 = never by size
	RotateEvery time.Duration // rotate once the file's first record is this old; 0 = never by age
	CodeMode    string        // "full" (default) | "truncated:N" | "hash_only"
	Syslog      bool          // also send each record to the local syslog/journald, best effort
	Logger      *slog.Logger  // nil = slog.Default()

	// BatchDelay is the gathering window of FsyncBatch; 0 = DefaultBatchDelay.
	BatchDelay time.Duration
}

func (c *Config) normalize() error {
	if c.File == "" {
		return errors.New("audit: no file configured")
	}
	switch c.Fsync {
	case "":
		c.Fsync = FsyncAlways
	case FsyncAlways, FsyncBatch, FsyncNever:
	default:
		return fmt.Errorf("audit: fsync %q: want always, batch or never", c.Fsync)
	}
	if c.CodeMode == "" {
		c.CodeMode = CodeFull
	}
	if err := ValidateCodeMode(c.CodeMode); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if c.RotateBytes < 0 || c.RotateEvery < 0 {
		return errors.New("audit: rotation thresholds must not be negative")
	}
	if c.BatchDelay <= 0 {
		c.BatchDelay = DefaultBatchDelay
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
