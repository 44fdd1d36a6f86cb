package policy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDebounce gathers the burst of events one save produces (editors
// write, rename and chmod) into one reload, well inside the one second a
// change may take to apply.
const reloadDebounce = 150 * time.Millisecond

// ReloadEvent reports one reload triggered by a file change. On failure
// File and Line locate the error (Line 0: the whole file) and the previous
// policy is still in force; on success File is the file whose change
// triggered the reload.
type ReloadEvent struct {
	Time time.Time
	OK   bool
	File string
	Line int
	Err  error
}

// Watch reloads the policy whenever a file under the policy directory
// changes, and reports every reload to onEvent (which may be nil). It sets
// up the watches before returning; the watching itself runs in the
// background until ctx is cancelled. Directories roles/ and users/ created
// later are picked up.
func (e *Engine) Watch(ctx context.Context, onEvent func(ReloadEvent)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching policy %s: %w", e.dir, err)
	}
	if err := w.Add(e.dir); err != nil {
		w.Close()
		return fmt.Errorf("watching policy %s: %w", e.dir, err)
	}
	for _, sub := range []string{rolesDir, usersDir} {
		// A missing subdirectory is fine; it is added when created.
		_ = w.Add(filepath.Join(e.dir, sub))
	}
	go e.watchLoop(ctx, w, onEvent)
	return nil
}

func (e *Engine) watchLoop(ctx context.Context, w *fsnotify.Watcher, onEvent func(ReloadEvent)) {
	defer w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	pending := ""
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if !e.relevant(ev) {
				continue
			}
			if ev.Has(fsnotify.Create) && (ev.Name == filepath.Join(e.dir, rolesDir) || ev.Name == filepath.Join(e.dir, usersDir)) {
				_ = w.Add(ev.Name)
			}
			pending = ev.Name
			timer.Reset(reloadDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			e.log.Warn("policy watcher error", "dir", e.dir, "err", err)
		case <-timer.C:
			ev := ReloadEvent{Time: time.Now(), File: pending}
			if err := e.Reload(); err != nil {
				ev.Err = err
				var le *LoadError
				if errors.As(err, &le) {
					ev.File, ev.Line = le.File, le.Line
				}
				e.log.Error("policy reload failed; the previous policy stays in force", "file", ev.File, "line", ev.Line, "err", err)
			} else {
				ev.OK = true
				e.log.Info("policy reloaded", "file", ev.File)
			}
			if onEvent != nil {
				onEvent(ev)
			}
		}
	}
}

// relevant filters out editor swap and backup files, which would otherwise
// trigger pointless reloads.
func (e *Engine) relevant(ev fsnotify.Event) bool {
	name := filepath.Base(ev.Name)
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch {
	case ev.Name == filepath.Join(e.dir, rolesDir), ev.Name == filepath.Join(e.dir, usersDir):
		return true
	case name == modelFile, strings.HasSuffix(name, ".csv"):
		return true
	}
	return false
}
