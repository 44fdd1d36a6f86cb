package sandbox

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Network egress (see docs/sandbox.md, "Network egress"). A worker never
// gets a network: it keeps its own empty network namespace and Landlock's
// TCP denial. A session granted destinations gets a worker whose seccomp
// filter allows socket() for AF_UNIX alone, and rwarden binds one listening
// Unix socket per destination inside the worker's private filesystem view
// (/run/rwarden/egress/<name>/<file>, also in $RWARDEN_EGRESS); the proxy forwards what arrives there.
// Only root has that private view (no host socket is reachable from it), so
// only root grants egress: elsewhere every Unix socket of the host that the
// worker's uid may write would be reachable, which fails closed here.

// EgressEnv is the environment variable naming, inside a worker with Unix
// sockets, the directory holding its egress socket directories.
const EgressEnv = "RWARDEN_EGRESS"

// EgressPath is that directory inside the worker's view: a link into its
// scratch directory, where rwarden binds the sockets.
const EgressPath = "/run/rwarden/egress"

// egressDir is the directory's name inside the worker's scratch.
const egressDir = "egress"

// buildEgressSeccompFilter is the worker filter except that socket() is
// allowed for AF_UNIX and denied for every other family (AF_INET, AF_INET6,
// AF_NETLINK, AF_PACKET, ...). socketpair stays denied.
func buildEgressSeccompFilter() (*seccomp.ScmpFilter, error) {
	return buildFilter(filterExceptions{
		skip: map[string]bool{"socket": true},
		denyUnlessEqual: []argRule{{"socket", "Unix-domain sockets only (egress forwarders)",
			[]argCond{{Arg: 0, Value: unix.AF_UNIX}}}},
	})
}

// ErrEgressUnavailable: this rwarden cannot give a worker a private view
// for its egress sockets.
var ErrEgressUnavailable = errors.New("network egress needs rwarden to run as root with the OS sandbox on (a private filesystem view per worker)")

// egressCapable reports whether workers of this launcher may get Unix
// sockets.
func (l *launcher) egressCapable() error {
	if !l.privileged || l.cfg.Insecure {
		return ErrEgressUnavailable
	}
	return nil
}

// EgressAvailable says whether workers of this pool can be given egress
// sockets (Binding.UnixSockets), and if not, why.
func (p *Pool) EgressAvailable() error { return p.l.egressCapable() }

// validSocketName is one path element of at most 64 bytes, no dot names.
func validSocketName(s string) bool {
	return s != "" && len(s) <= 64 && s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}

// ListenUnix binds a listening Unix socket at $RWARDEN_EGRESS/dir/file as
// the session's worker sees it and returns the listener (owned by the
// caller) and that path. Only sessions bound with UnixSockets have one.
// The directories and the socket belong to root (0755, the socket 0666):
// the worker may connect but not replace them.
func (s *Session) ListenUnix(dir, file string) (net.Listener, string, error) {
	if !s.binding.UnixSockets {
		return nil, "", errors.New("egress socket: the session was not bound with Unix sockets")
	}
	if err := s.w.l.egressCapable(); err != nil {
		return nil, "", err
	}
	if !validSocketName(dir) || !validSocketName(file) {
		return nil, "", fmt.Errorf("egress socket: bad name %q/%q", dir, file)
	}
	if !s.w.alive() {
		return nil, "", ErrSessionClosed
	}
	// The worker's view, through its root: its scratch is a tmpfs in its
	// own mount namespace. The pid cannot be reused while rwarden has not
	// reaped it (alive above; a race only fails the open).
	scratch, err := unix.Open("/proc/"+strconv.Itoa(s.w.pid)+"/root"+s.w.scratch,
		unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("egress socket: opening the worker's scratch: %w", err)
	}
	defer unix.Close(scratch)
	dfd, err := mkdirOpen(scratch, egressDir)
	if err != nil {
		return nil, "", err
	}
	defer unix.Close(dfd)
	sub, err := mkdirOpen(dfd, dir)
	if err != nil {
		return nil, "", err
	}
	defer unix.Close(sub)
	// bind() takes a path of at most 107 bytes: go through the directory's
	// descriptor rather than the (long) path in the worker's view.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: "/proc/self/fd/" + strconv.Itoa(sub) + "/" + file, Net: "unix"})
	if err != nil {
		return nil, "", fmt.Errorf("egress socket: binding %s/%s: %w", dir, file, err)
	}
	// The bound name goes through a descriptor closed on return: never
	// unlink by it. The socket disappears with the worker's tmpfs.
	ln.SetUnlinkOnClose(false)
	if err := unix.Fchmodat(sub, file, 0o666, 0); err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("egress socket: opening it to the worker: %w", err)
	}
	return ln, filepath.Join(EgressPath, dir, file), nil
}

// mkdirOpen makes (if missing) and opens the directory name under dirfd,
// refusing a symlink in its place.
func mkdirOpen(dirfd int, name string) (int, error) {
	if err := unix.Mkdirat(dirfd, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("egress socket: making %s: %w", name, err)
	}
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("egress socket: opening %s: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Uid != uint32(unix.Geteuid()) {
		unix.Close(fd)
		return -1, fmt.Errorf("egress socket: %s is not rwarden's own directory", name)
	}
	return fd, nil
}
