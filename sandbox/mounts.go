package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Mount makes a host directory visible to one session's worker: a data
// directory shared by a role, a user's own data, or a user's persistent
// workspace. Mounts are per session: a worker with mounts is started for
// the sessions of exactly that set of mounts and never serves another.
type Mount struct {
	// Source is the host directory: absolute, clean, an existing directory
	// and not reached through a symlink.
	Source string `json:"source"`
	// Target is where the worker sees it when it has a minimal view (as
	// root, or rootless): absolute, clean, beneath MountTargetRoots. A
	// worker without a view (no root, no user namespaces) sees the
	// directory at Source instead.
	Target string `json:"target"`
	// Write allows creating, writing and removing files beneath; read-only
	// otherwise. Nothing beneath is ever executable.
	Write bool `json:"write,omitempty"`
	// Home makes it R's home directory (HOME, "~"): a user's workspace.
	Home bool `json:"home,omitempty"`
	// Quota, for a writable mount, bounds the bytes of the regular files
	// beneath it: checked every second during an evaluation and after it;
	// an evaluation that leaves it over is stopped with a clear error (the
	// worker is killed, as for the scratch quota). 0: no quota.
	Quota int64 `json:"quota,omitempty"`
	// Library makes it an R library tree (a site library, an renv project
	// library): seen at its own path (Target equals Source), read-only,
	// not noexec (R maps packages' shared objects from it), and put on R's
	// library path (R_LIBS) ahead of R's own.
	Library bool `json:"library,omitempty"`
}

// MountTargetRoots are the directories beneath which a mount may appear in
// a worker: nowhere else, so that a mount never covers or shadows R's own
// trees, the scratch directory or /proc.
var MountTargetRoots = []string{"/data", "/home"}

// maxMounts bounds the mounts of one session (each is a bind mount in its
// init and a Landlock rule).
const maxMounts = 64

// ValidateMounts checks a session's mounts: paths absolute and clean,
// sources existing directories reached without symlinks, targets beneath
// MountTargetRoots, no target at or beneath another. It fails closed on the
// first problem.
func ValidateMounts(ms []Mount) error {
	if len(ms) > maxMounts {
		return fmt.Errorf("%d mounts exceed the maximum of %d", len(ms), maxMounts)
	}
	homes := 0
	for i, m := range ms {
		if err := m.validate(); err != nil {
			return err
		}
		if m.Home {
			if homes++; homes > 1 {
				return errors.New("more than one mount is the home directory")
			}
		}
		for _, o := range ms[:i] {
			if within(m.Target, o.Target) || within(o.Target, m.Target) {
				return fmt.Errorf("mount targets %s and %s overlap", o.Target, m.Target)
			}
		}
	}
	return nil
}

func (m Mount) validate() error {
	for _, p := range []string{m.Source, m.Target} {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p || strings.ContainsAny(p, "\x00\n:") {
			return fmt.Errorf("mount path %q is not an absolute, clean path", p)
		}
	}
	under := false
	if m.Library {
		if m.Target != m.Source || m.Write || m.Home || m.Quota != 0 {
			return fmt.Errorf("library %s: a library is read-only, at its own path, and no home", m.Source)
		}
		under = true
	}
	for _, r := range MountTargetRoots {
		if m.Target != r && within(m.Target, r) {
			under = true
		}
	}
	if !under {
		return fmt.Errorf("mount target %s is not beneath one of %s", m.Target, strings.Join(MountTargetRoots, ", "))
	}
	resolved, err := filepath.EvalSymlinks(m.Source)
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if resolved != m.Source {
		return fmt.Errorf("mount source %s is reached through a symlink (it resolves to %s); name the real directory", m.Source, resolved)
	}
	st, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("mount source %s is not a directory", m.Source)
	}
	if m.Quota < 0 || (m.Quota > 0 && !m.Write) {
		return fmt.Errorf("mount %s: a quota needs a writable mount and a positive size", m.Target)
	}
	if m.Source == "/" {
		return errors.New("mount source / would expose the whole host")
	}
	return nil
}

// within reports whether path is dir or beneath it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// mountsKey is the canonical form of a set of mounts, part of a worker's
// profile: sorted by target, JSON. "" for none.
func mountsKey(ms []Mount) (string, error) {
	if len(ms) == 0 {
		return "", nil
	}
	sorted := append([]Mount(nil), ms...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Target < sorted[j].Target })
	b, err := json.Marshal(sorted)
	if err != nil {
		return "", fmt.Errorf("encoding mounts: %w", err)
	}
	return string(b), nil
}

// mountsOfKey decodes mountsKey.
func mountsOfKey(key string) ([]Mount, error) {
	if key == "" {
		return nil, nil
	}
	var ms []Mount
	if err := json.Unmarshal([]byte(key), &ms); err != nil {
		return nil, fmt.Errorf("decoding mounts: %w", err)
	}
	return ms, nil
}

// mountLandlock adds a worker's mounts to its Landlock spec: read-only
// mounts readable, writable ones read-write (never executable), at the
// paths the worker sees them (targets in a view, sources without one).
func mountLandlock(s landlockSpec, ms []Mount, inView bool) landlockSpec {
	for _, m := range ms {
		p := m.Source
		if inView && !m.Library {
			p = m.Target
		}
		if m.Write {
			s.WriteDirs = append(s.WriteDirs, p)
		} else {
			s.ReadDirs = append(s.ReadDirs, p)
		}
	}
	return s
}

// VisiblePath is where a session's worker sees a mount's directory: its
// target when the worker has a minimal view, its source otherwise.
func (s *Session) VisiblePath(m Mount) string { return s.w.visiblePath(m) }

func (w *worker) visiblePath(m Mount) string {
	if w.inView {
		return m.Target
	}
	return m.Source
}

// libraryPaths are the library trees among mounts, in order (R_LIBS).
func libraryPaths(ms []Mount) []string {
	var out []string
	for _, m := range ms {
		if m.Library {
			out = append(out, m.Source)
		}
	}
	return out
}

// withHome replaces HOME in a worker's environment.
func withHome(env []string, home string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HOME=") {
			out = append(out, kv)
		}
	}
	return append(out, "HOME="+home)
}
