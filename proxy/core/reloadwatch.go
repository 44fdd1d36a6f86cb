package core

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rwarden/rwarden/internal/filewatch"
)

// fileReloads counts reloads of the users file and of TLS files, by what
// was reloaded (users, certificate) and result (ok, rejected).
func newFileReloads() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rwarden_file_reloads_total",
		Help: "Reloads of the users file (file=users) and of TLS certificates, keys and client CAs (file=certificate), on change or SIGHUP, by result (ok, rejected: the previous ones stay in force).",
	}, []string{"file", "result"})
}

// NoteFileReload logs and counts a reload of the users file (kind "users")
// or of a listener's TLS files (kind "certificate"); err non-nil means it
// was rejected and what was in force stays.
func (c *Core) NoteFileReload(kind, what string, err error) {
	if err != nil {
		c.fileReloads.WithLabelValues(kind, "rejected").Inc()
		c.log.Error("reload rejected; what was in force stays", "file", kind, "what", what, "err", err)
		return
	}
	c.fileReloads.WithLabelValues(kind, "ok").Inc()
	c.log.Info("reloaded", "file", kind, "what", what)
}

// watchUsers reloads the users file whenever it changes, until ctx ends.
func (c *Core) watchUsers(ctx context.Context) error {
	return filewatch.Watch(ctx, []string{c.cfg.UsersFile}, c.log, func() {
		c.NoteFileReload("users", c.cfg.UsersFile, c.users.Reload())
	})
}
