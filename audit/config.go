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
	// FsyncInterval writes every record with write(2) before Write returns
	// (so a crash of rwarden loses nothing, and the record is on file before
	// the evaluation it records is answered) and makes the file durable with
	// fdatasync at most SyncInterval later. A failed fdatasync makes the log
	// unhealthy: evaluations are refused until it works again. The default:
	// an fsync before every answer costs more than the evaluation itself on
	// ordinary disks. A crash of the machine can lose up to SyncInterval of
	// records; FsyncAlways closes that window at that price.
	FsyncInterval = "interval"
	// FsyncNever writes each batch with write(2) but never fsyncs: records
	// survive a crash of rwarden, not of the machine.
	FsyncNever = "never"
)

// Defaults for the group commit.
const (
	DefaultBatchDelay   = time.Millisecond
	DefaultSyncInterval = 100 * time.Millisecond
	maxBatchRecords     = 1024
	maxBatchBytes       = 4 << 20
)

// Config configures a Log.
type Config struct {
	File        string        // the live audit file; rotated files sit next to it
	Fsync       string        // FsyncInterval (default) | FsyncAlways | FsyncBatch | FsyncNever
	RotateBytes int64         // rotate once the file has reached this size; 0 = never by size
	RotateEvery time.Duration // rotate once the file's first record is this old; 0 = never by age
	CodeMode    string        // "full" (default) | "truncated:N" | "hash_only"
	Syslog      bool          // also send each record to the local syslog/journald, best effort
	Logger      *slog.Logger  // nil = slog.Default()
	// Node names the rwarden node writing this chain; it is set on every
	// record that does not name one, so that records gathered from several
	// nodes say which chain they belong to. "": no node field.
	Node string
	// PolicyVersion, when set, stamps records written without a policy
	// version with the one it returns (the shared store's version in force).
	PolicyVersion func() int64

	// BatchDelay is the gathering window of FsyncBatch; 0 = DefaultBatchDelay.
	BatchDelay time.Duration
	// SyncInterval bounds how long records stay unsynced under
	// FsyncInterval; 0 = DefaultSyncInterval.
	SyncInterval time.Duration
}

func (c *Config) normalize() error {
	if c.File == "" {
		return errors.New("audit: no file configured")
	}
	switch c.Fsync {
	case "":
		c.Fsync = FsyncInterval
	case FsyncInterval, FsyncAlways, FsyncBatch, FsyncNever:
	default:
		return fmt.Errorf("audit: fsync %q: want interval, always, batch or never", c.Fsync)
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = DefaultSyncInterval
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
