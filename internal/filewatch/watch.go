// Package filewatch calls a function when one of a few named files changes
// (users file, TLS certificates and keys): it watches their directories,
// so that editors' and tools' write-to-temporary-then-rename saves and
// Kubernetes-style symlink swaps are seen, and gathers the burst of events
// one save produces into one call, as the policy directory's watch does.
// It is part of the transport and authentication layers' reload path.
package filewatch

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce gathers the events of one save (write, rename, chmod) into one
// call, well inside the second a change may take to apply.
const Debounce = 150 * time.Millisecond

// Watch calls onChange (from one goroutine, never concurrently) after any
// of files was created, written, renamed, removed or had its mode changed,
// once per burst of events, until ctx ends. It sets up the watches before
// returning. Empty names are ignored; with none left it does nothing.
func Watch(ctx context.Context, files []string, log *slog.Logger, onChange func()) error {
	if log == nil {
		log = slog.Default()
	}
	names := map[string]bool{}
	dirs := map[string]bool{}
	for _, f := range files {
		if f == "" {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return fmt.Errorf("watching %s: %w", f, err)
		}
		names[abs] = true
		dirs[filepath.Dir(abs)] = true
	}
	if len(names) == 0 {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching files: %w", err)
	}
	for d := range dirs {
		if err := w.Add(d); err != nil {
			w.Close()
			return fmt.Errorf("watching directory %s: %w", d, err)
		}
	}
	go loop(ctx, w, names, dirs, log, onChange)
	return nil
}

// relevant: an event on a watched file, or a Kubernetes-style swap of the
// "..data" symlink in a watched directory (the files are symlinks into it
// and get no event of their own).
func relevant(ev fsnotify.Event, names, dirs map[string]bool) bool {
	if names[ev.Name] {
		return true
	}
	return dirs[filepath.Dir(ev.Name)] && strings.HasPrefix(filepath.Base(ev.Name), "..data")
}

func loop(ctx context.Context, w *fsnotify.Watcher, names, dirs map[string]bool, log *slog.Logger, onChange func()) {
	defer w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if relevant(ev, names, dirs) {
				timer.Reset(Debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			log.Warn("file watcher error", "err", err)
		case <-timer.C:
			onChange()
		}
	}
}
