package core

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// Levels of the audit disk's free space (rwarden_audit_disk_state).
const (
	diskOK       = 0
	diskWarn     = 1
	diskCritical = 2
)

// diskWatch watches the free space of the audit file's filesystem against
// two watermarks. A full audit disk refuses every evaluation (fail closed,
// rightly); the watermarks warn the operator long before: a log line on
// every change of level, a metric, and /healthz degraded (warn) or
// unhealthy (critical).
type diskWatch struct {
	dir            string
	warn, critical int64 // 0: off
	statfs         func(dir string) (free int64, err error)
	log            *slog.Logger

	mu    sync.Mutex
	level int
}

// diskCheckEvery is how often the background check logs a change of level;
// /healthz and /metrics check on every request.
const diskCheckEvery = 10 * time.Second

func newDiskWatch(auditFile string, warn, critical int64, log *slog.Logger) *diskWatch {
	return &diskWatch{dir: filepath.Dir(auditFile), warn: warn, critical: critical, statfs: freeBytes, log: log}
}

// freeBytes is the space available to rwarden's writes on dir's filesystem
// (blocks available to unprivileged users: the conservative figure).
func freeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// check measures the free space now and returns it, its level and, below
// a watermark, the problem in words. A failed measurement is critical:
// what cannot be measured cannot be trusted to have room.
func (d *diskWatch) check() (free int64, level int, problem error) {
	free, err := d.statfs(d.dir)
	switch {
	case err != nil:
		level, problem = diskCritical, fmt.Errorf("audit disk: cannot measure free space: %w", err)
	case d.critical > 0 && free < d.critical:
		level, problem = diskCritical, fmt.Errorf("audit disk: %s free on %s, below the critical watermark %s (audit.free_space_critical); evaluations stop when it is full",
			humanBytes(free), d.dir, humanBytes(d.critical))
	case d.warn > 0 && free < d.warn:
		level, problem = diskWarn, fmt.Errorf("audit disk: %s free on %s, below the warning watermark %s (audit.free_space_warn)",
			humanBytes(free), d.dir, humanBytes(d.warn))
	}
	d.note(level, problem)
	return free, level, problem
}

// note logs a change of level.
func (d *diskWatch) note(level int, problem error) {
	d.mu.Lock()
	prev := d.level
	d.level = level
	d.mu.Unlock()
	switch {
	case level == prev:
	case level == diskCritical:
		d.log.Error("AUDIT DISK NEARLY FULL", "problem", problem.Error())
	case level == diskWarn:
		d.log.Warn("audit disk low on space", "problem", problem.Error())
	default:
		d.log.Info("audit disk has enough free space again", "dir", d.dir)
	}
}

// run checks every diskCheckEvery until ctx ends, so that a change of
// level is logged even when nobody polls /healthz.
func (d *diskWatch) run(ctx context.Context) {
	d.check()
	tick := time.NewTicker(diskCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			d.check()
		}
	}
}

// collectors export the free space, the watermarks and the level.
func (d *diskWatch) collectors() []prometheus.Collector {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	return []prometheus.Collector{
		gauge("rwarden_audit_disk_free_bytes", "Free space on the audit file's filesystem (available to unprivileged writes).",
			func() float64 { free, _, _ := d.check(); return float64(free) }),
		gauge("rwarden_audit_disk_state", "Audit disk free space against the watermarks: 0 ok, 1 below audit.free_space_warn, 2 below audit.free_space_critical (or not measurable).",
			func() float64 { _, level, _ := d.check(); return float64(level) }),
		gauge("rwarden_audit_disk_free_warn_bytes", "audit.free_space_warn (0: off).", func() float64 { return float64(d.warn) }),
		gauge("rwarden_audit_disk_free_critical_bytes", "audit.free_space_critical (0: off).", func() float64 { return float64(d.critical) }),
	}
}

// humanBytes renders a byte count for people: "1.5GiB", "300.0MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f%ciB", v, "KMGTP"[i])
}
