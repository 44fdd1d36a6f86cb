package sandbox

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The minimal filesystem view of a worker run as root. The init is in its
// own mount namespace (clone flag); it builds a new root on a small tmpfs
// holding only what the worker's Landlock rules name, read-only bind
// mounts of them, its scratch tmpfs and a private /proc, then pivots into
// it and detaches the host's root. rwarden's own state (configuration,
// users file, TLS keys, audit log, state directory) is then not in the
// worker's world at all: not readable, not listable, not even stat()able.

// viewBind is one bind mount of the view: a host path made visible at the
// same path in the new root.
type viewBind struct {
	path  string
	dir   bool
	write bool
}

// viewPlan is what enterView builds, computed from the init's spec.
type viewPlan struct {
	binds []viewBind
	// links are host symlinks recreated in the view, so that the paths R,
	// the loader and the linker cache use (/lib64/ld-linux-x86-64.so.2,
	// /lib/x86_64-linux-gnu/..., /etc/localtime) resolve as on the host.
	links map[string]string
}

// planView lists the view's binds from the Landlock spec (each path there
// is already resolved) and the symlinks on the way to the paths R is
// started with.
func planView(spec initSpec) (viewPlan, error) {
	ls := spec.Landlock
	p := viewPlan{binds: viewBinds(ls)}

	if ls.ViewLinks != nil {
		p.links = ls.ViewLinks
	} else {
		links, err := viewLinks(p.binds, spec.RBinary, spec.Env)
		if err != nil {
			return p, err
		}
		p.links = links
	}
	// The skeleton is created before the pivot, on the host's paths: no
	// entry may lie beneath a recreated symlink, or creating it would
	// follow the link out of the view.
	for l := range p.links {
		if beneathLink(p.links, l) {
			return p, fmt.Errorf("view: symlink %s lies beneath another symlink", l)
		}
	}
	for _, b := range p.binds {
		if beneathLink(p.links, b.path) {
			return p, fmt.Errorf("view: %s lies beneath a symlink", b.path)
		}
	}
	return p, nil
}

// viewLinks finds the host symlinks the view must recreate: those on the
// way to the paths R is started with (the unresolved forms of the R binary,
// its loader, R's directories, /lib and /lib64 on merged-/usr systems,
// /etc/localtime, /dev/fd), and those on the way out of the bound trees
// (Debian's alternatives: libblas.so.3 -> /etc/alternatives/... -> back into
// /usr/lib). Links inside the bound trees come with their binds.
func viewLinks(binds []viewBind, rBinary string, env []string) (map[string]string, error) {
	unresolved := []string{rBinary, "/etc/localtime", "/dev/fd", "/lib", "/lib64"}
	if interp, err := literalInterpreter(rBinary); err == nil {
		unresolved = append(unresolved, interp)
	}
	for _, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		switch name {
		case "R_HOME", "R_SHARE_DIR", "R_INCLUDE_DIR", "R_DOC_DIR", "LD_LIBRARY_PATH":
			unresolved = append(unresolved, strings.Split(val, ":")...)
		}
	}
	for _, b := range binds {
		if !b.dir {
			continue
		}
		err := filepath.WalkDir(b.path, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.Type()&os.ModeSymlink == 0 {
				return nil // unreadable parts are unreadable in the view too
			}
			target, err := os.Readlink(path)
			if err != nil || (!filepath.IsAbs(target) && !strings.Contains(target, "..")) {
				return nil // relative and downward: stays inside the bound tree
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(path), target)
			}
			unresolved = append(unresolved, target)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("view: walking %s: %w", b.path, err)
		}
	}
	links := map[string]string{}
	covered := func(path string) bool { return coveredBy(binds, path) }
	for _, u := range unresolved {
		if err := collectLinks(u, links, covered); err != nil {
			return nil, err
		}
	}
	return links, nil
}

// The walk of the bound trees takes tens of milliseconds; rwarden does it
// in the parent, at most once a minute for the same trees, and passes the
// result to each worker's init in its Landlock spec (ViewLinks).
var viewLinkCache struct {
	sync.Mutex
	key   string
	links map[string]string
	at    time.Time
}

const viewLinkCacheTTL = time.Minute

// cachedViewLinks returns viewLinks for a worker's Landlock spec, or nil
// (the init then computes them itself) when it cannot.
func cachedViewLinks(ls landlockSpec, rBinary string, env []string) map[string]string {
	binds := viewBinds(ls)
	var key strings.Builder
	for _, b := range binds {
		key.WriteString(b.path + "\x00")
	}
	key.WriteString(rBinary + "\x00")
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "TMPDIR=") {
			key.WriteString(kv + "\x00")
		}
	}
	c := &viewLinkCache
	c.Lock()
	defer c.Unlock()
	if c.links != nil && c.key == key.String() && time.Since(c.at) < viewLinkCacheTTL {
		return c.links
	}
	links, err := viewLinks(binds, rBinary, env)
	if err != nil {
		return nil
	}
	c.key, c.links, c.at = key.String(), links, time.Now()
	return links
}

// coveredBy reports whether path is at or beneath a directory bind.
func coveredBy(binds []viewBind, path string) bool {
	for _, b := range binds {
		if b.dir && (path == b.path || strings.HasPrefix(path, b.path+"/")) {
			return true
		}
	}
	return false
}

// beneathLink reports whether a proper ancestor of path is in links.
func beneathLink(links map[string]string, path string) bool {
	for dir := filepath.Dir(path); dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if _, ok := links[dir]; ok {
			return true
		}
	}
	return false
}

// viewBinds lists the view's bind mounts: every path of the Landlock spec
// (already resolved), the writable files writable, parents first.
func viewBinds(ls landlockSpec) []viewBind {
	var binds []viewBind
	for _, d := range ls.ReadDirs {
		binds = append(binds, viewBind{path: d, dir: true})
	}
	for _, f := range append(append([]string{}, ls.ReadFiles...), ls.ExecFiles...) {
		binds = append(binds, viewBind{path: f})
	}
	for _, f := range ls.WriteFiles {
		binds = append(binds, viewBind{path: f, write: true})
	}
	return dedupBinds(binds)
}

// dedupBinds drops binds already covered by a read-only directory bind
// above them (read-only only: a writable path stays its own mount) and
// sorts parents before children.
func dedupBinds(in []viewBind) []viewBind {
	sort.Slice(in, func(i, j int) bool { return in[i].path < in[j].path })
	var out []viewBind
	for _, b := range in {
		covered := false
		for _, o := range out {
			if o.dir && !o.write && !b.write && (b.path == o.path || strings.HasPrefix(b.path, o.path+"/")) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, b)
		}
	}
	return out
}

// collectLinks walks path component by component on the host and records
// every symlink met on the way (and on the way through its target) that is
// not inside a bound tree (those come with their bind).
func collectLinks(path string, links map[string]string, covered func(string) bool) error {
	if !filepath.IsAbs(path) {
		return nil
	}
	rest := strings.Split(strings.Trim(filepath.Clean(path), "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		if next == "/proc" {
			return nil // the view has its own /proc; /proc/self differs per process
		}
		fi, err := os.Lstat(next)
		if err != nil {
			return nil // absent on this host: nothing to mirror
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return fmt.Errorf("view: too many symlinks resolving %s", path)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return fmt.Errorf("view: reading link %s: %w", next, err)
		}
		if !covered(next) {
			links[next] = target
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return nil
}

// literalInterpreter is a binary's PT_INTERP as written (the kernel
// resolves it inside the view at execve).
func literalInterpreter(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP && p.Filesz < 4096 {
			buf := make([]byte, p.Filesz)
			if _, err := p.ReadAt(buf, 0); err != nil {
				return "", err
			}
			return strings.TrimRight(string(buf), "\x00"), nil
		}
	}
	return "", errors.New("no interpreter")
}

// enterView builds the worker's root and pivots into it. It runs in the
// init's own mount namespace: as root before the uid drop, or without root
// inside the init's own user namespace (rootless: see rootless_linux.go).
// The old root is detached, so nothing of the host outside the plan remains
// reachable.
func enterView(spec initSpec, rootless bool) error {
	// The skeleton's directories must be passable by the worker's uid
	// whatever umask rwarden was started with (the systemd unit's is 0077):
	// their modes are the ones written below, not masked.
	defer unix.Umask(unix.Umask(0o022))
	plan, err := planView(spec)
	if err != nil {
		return err
	}
	// Nothing mounted from here on propagates to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	// Rootless, the scratch directory is the host's (rwarden checks its
	// usage there): keep a handle on it before the root tmpfs covers it.
	scratchFd := -1
	if rootless {
		scratchFd, err = unix.Open(spec.Scratch, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("view: opening scratch directory: %w", err)
		}
		defer unix.Close(scratchFd)
	}
	// The new root is a tmpfs mounted over the worker's (host) scratch
	// directory: a path that exists, belongs to this worker and is hidden by
	// the mount in this namespace only.
	root := spec.Scratch
	if err := unix.Mount("rwarden-root", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m,mode=0755"); err != nil {
		return fmt.Errorf("mounting the view's root tmpfs: %w", err)
	}
	in := func(p string) string { return filepath.Join(root, p) }

	// Skeleton: symlinks, directories and files to mount on.
	linkPaths := make([]string, 0, len(plan.links))
	for l := range plan.links {
		linkPaths = append(linkPaths, l)
	}
	sort.Strings(linkPaths)
	for _, l := range linkPaths {
		if err := os.MkdirAll(in(filepath.Dir(l)), 0o755); err != nil {
			return fmt.Errorf("view: %w", err)
		}
		if err := os.Symlink(plan.links[l], in(l)); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("view: linking %s: %w", l, err)
		}
	}
	for _, b := range plan.binds {
		if b.dir {
			if err := os.MkdirAll(in(b.path), 0o755); err != nil {
				return fmt.Errorf("view: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(in(filepath.Dir(b.path)), 0o755); err != nil {
			return fmt.Errorf("view: %w", err)
		}
		f, err := os.OpenFile(in(b.path), os.O_CREATE|os.O_WRONLY|unix.O_NOFOLLOW, 0o644)
		if err != nil {
			return fmt.Errorf("view: mount point for %s: %w", b.path, err)
		}
		f.Close()
	}
	// Binds, parents first; each made read-only (but the writable files,
	// /dev/null) and nosuid. Not noexec: R, its loader and the shared
	// objects of packages are mapped executable from these trees.
	for _, b := range plan.binds {
		if err := unix.Mount(b.path, in(b.path), "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("view: binding %s: %w", b.path, err)
		}
		flags := uintptr(unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOSUID) | keptMountFlags(b.path)
		if !b.write {
			flags |= unix.MS_RDONLY
		}
		if !strings.HasPrefix(b.path, "/dev/") {
			flags |= unix.MS_NODEV
		}
		if err := unix.Mount("", in(b.path), "", flags, ""); err != nil {
			return fmt.Errorf("view: making %s read-only: %w", b.path, err)
		}
	}
	// The session's mounts (data directories, workspace) at their targets.
	if err := bindMounts(root, spec.Mounts, plan.links); err != nil {
		return err
	}
	// Scratch: the worker's only writable directory, size-limited and
	// noexec (nothing written there can be executed or mapped as code).
	if err := os.MkdirAll(in(spec.Scratch), 0o755); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	if rootless {
		// The host's scratch directory, bound and remounted noexec.
		src := "/proc/self/fd/" + strconv.Itoa(scratchFd)
		if err := unix.Mount(src, in(spec.Scratch), "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("view: binding scratch directory: %w", err)
		}
		flags := uintptr(unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC) | keptMountFlags(spec.Scratch)
		if err := unix.Mount("", in(spec.Scratch), "", flags, ""); err != nil {
			return fmt.Errorf("view: making scratch directory noexec: %w", err)
		}
	} else if err := mountScratchAt(in(spec.Scratch), spec); err != nil {
		return err
	}
	if err := os.MkdirAll(in("/proc"), 0o555); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	if rootless {
		// A new procfs needs a PID namespace of our own user namespace,
		// which would change the worker's pid as rwarden sees it: the host's
		// /proc is bound instead (Landlock denies reading other processes'
		// entries; their existence stays visible).
		if err := unix.Mount("/proc", in("/proc"), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("view: binding /proc: %w", err)
		}
	} else {
		// /proc of this view: processes of other uids (other workers,
		// rwarden) are invisible, and only the per-process part of procfs
		// is there.
		procFlags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if err := unix.Mount("proc", in("/proc"), "proc", procFlags, "hidepid=invisible,subset=pid"); err != nil {
			return fmt.Errorf("view: mounting /proc: %w", err)
		}
	}
	// A worker with egress sockets finds them at a fixed path (its scratch
	// path differs per worker): a link, in the read-only root, into the
	// scratch directory where rwarden binds them (egress_linux.go).
	if spec.UnixSockets {
		if err := os.MkdirAll(in(filepath.Dir(EgressPath)), 0o755); err != nil {
			return fmt.Errorf("view: %w", err)
		}
		if err := os.Symlink(filepath.Join(spec.Scratch, egressDir), in(EgressPath)); err != nil {
			return fmt.Errorf("view: linking %s: %w", EgressPath, err)
		}
	}
	// Pivot: the view becomes "/", the host's root is stacked under it and
	// then detached (pivot_root(".", ".") needs no directory for the old
	// root, so none is left in the view).
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("view: pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("view: detaching the host's root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("view: making the root read-only: %w", err)
	}
	return nil
}

// keptMountFlags are the flags of the mount holding path that a bind
// remount must repeat: in a user namespace the kernel refuses to clear
// them (locked), and as root repeating them keeps what the host chose.
func keptMountFlags(path string) uintptr {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0
	}
	const keep = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_RDONLY |
		unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME
	return uintptr(st.Flags) & keep // ST_* flags have the MS_* values
}

// mountScratchAt mounts the worker's size-limited, noexec scratch tmpfs,
// owned by the worker's uid, at dir.
func mountScratchAt(dir string, spec initSpec) error {
	opts := "size=" + strconv.FormatInt(spec.ScratchBytes, 10) +
		",mode=0700,uid=" + strconv.Itoa(spec.UID) + ",gid=" + strconv.Itoa(spec.GID)
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("rwarden-scratch", dir, "tmpfs", flags, opts); err != nil {
		return fmt.Errorf("mounting scratch tmpfs on %s: %w", spec.Scratch, err)
	}
	return nil
}
