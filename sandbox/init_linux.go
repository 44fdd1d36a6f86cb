package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// InitCommand is the hidden first argument with which rwarden re-executes
// itself to become a worker's init. main() checks for it before anything
// else runs.
const InitCommand = "__rwarden-sandbox-init"

// InitFailedStatus is the exit status of an init that could not lock itself
// down or exec R. The parent reports the init's stderr line with it.
const InitFailedStatus = 125

// Descriptors a worker keeps: 0 harness text, 1 and 2 the console stream,
// 3 requests, 4 results. Everything else is closed before R starts.
const keepFDs = 5

// initSpec is everything the init needs, computed by the parent and passed
// as the init's single argument (JSON). It holds no secrets.
type initSpec struct {
	RBinary string   `json:"r_binary"`
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	// Parent is the pid of rwarden; the init re-arms the parent-death
	// signal after changing credentials and checks the parent still lives.
	Parent int `json:"parent"`

	Scratch      string `json:"scratch"`
	ScratchBytes int64  `json:"scratch_bytes"`
	// Privileged: rwarden runs as root; the init is in new mount and network
	// namespaces (clone flags) and must mount the scratch tmpfs, enter its
	// network namespace and drop to UID/GID.
	Privileged bool `json:"privileged"`
	UID        int  `json:"uid"`
	GID        int  `json:"gid"`

	Rlimits  []rlimitSpec `json:"rlimits"`
	Landlock landlockSpec `json:"landlock"`
	Insecure bool         `json:"insecure"`
	// Template: start a fork template instead of a worker (initTemplate).
	Template bool `json:"template,omitempty"`
	// Rootless: rwarden is not root and the host allows unprivileged user
	// namespaces (rootlessSupported); the init is then put in its own
	// before the Go runtime starts (rootless_linux.go). A template must be
	// (its sessions take their own inside it); a cold worker whose
	// namespaces failed runs without them.
	Rootless bool `json:"rootless,omitempty"`
	// UnixSockets: the worker's filter allows socket(AF_UNIX) (egress).
	UnixSockets bool `json:"unix_sockets,omitempty"`
	// Mounts are the session's host directories (mounts.go): bound at their
	// targets in the minimal view, granted by Landlock where R sees them.
	Mounts []Mount `json:"mounts,omitempty"`
}

type rlimitSpec struct {
	Name     string `json:"name"`
	Resource int    `json:"resource"`
	Cur      uint64 `json:"cur"`
	Max      uint64 `json:"max"`
}

// InitMain is the entry point of the re-executed init. It returns only on
// failure, after writing the reason to stderr (the console pipe, which the
// parent reads when the worker fails to start).
func InitMain(args []string) {
	// Everything below must happen on one OS thread: namespaces, credentials
	// (re-armed death signal), seccomp and the final execve are per thread,
	// and the thread that execs is the one whose state R inherits.
	runtime.LockOSThread()
	// initWorker returns only when something failed: success is the exec.
	fmt.Fprintf(os.Stderr, "rwarden sandbox init: %v\n", initWorker(args))
}

func initWorker(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: rwarden " + InitCommand + " SPEC")
	}
	var spec initSpec
	if err := json.Unmarshal([]byte(args[0]), &spec); err != nil {
		return fmt.Errorf("decoding spec: %w", err)
	}
	if spec.Template && !spec.Insecure {
		return initTemplate(spec)
	}
	// 1. Every inherited descriptor but the protocol pipes is closed at the
	// exec of R, so nothing of rwarden (listeners, the audit file, client
	// connections) can reach R even if a descriptor lacked close-on-exec.
	// Marked close-on-exec rather than closed now: the Go runtime of this
	// init holds descriptors of its own (its poller) until the exec.
	if err := unix.CloseRange(keepFDs, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("closing inherited descriptors: %w", err)
	}
	// 2. The clean environment is spec.Env: built by the parent from
	// scratch, it is passed to execve below; nothing of rwarden's own
	// environment is inherited.

	// 3. Resource limits. A file-size violation must be an R error, not a
	// silent death: ignore SIGXFSZ (ignored signals survive execve) so the
	// write fails with EFBIG instead. The address-space limit waits until
	// just before the exec: this init's own Go runtime reserves address
	// space as it runs and would fail under R's limit.
	early, addressSpace := splitRlimits(spec.Rlimits)
	if err := applyRlimits(early); err != nil {
		return err
	}
	signalIgnore(syscall.SIGXFSZ)

	// 4. As root: in our own mount namespace, a minimal filesystem view
	// (read-only R trees and system files, the private scratch tmpfs,
	// our own /proc; the host's root detached); new network and IPC
	// namespaces (no interfaces but a down loopback; no System V or POSIX
	// IPC object shared with anyone); and a drop to the worker's own
	// uid/gid with no supplementary groups.
	if spec.Privileged && !spec.Insecure {
		if err := enterView(spec, false); err != nil {
			return err
		}
		if err := unix.Unshare(unix.CLONE_NEWNET | unix.CLONE_NEWIPC); err != nil {
			return fmt.Errorf("entering new network and IPC namespaces: %w", err)
		}
		if err := dropPrivileges(spec.UID, spec.GID); err != nil {
			return err
		}
	}
	// Without root, where the kernel allows unprivileged user namespaces,
	// the init is already in its own user, mount, IPC and network
	// namespaces (set up before the Go runtime started, rootless_linux.go):
	// the same minimal view, with the host's scratch directory bound noexec.
	// Where it does not, the worker runs without them (sandbox check says
	// which).
	if !spec.Privileged && !spec.Insecure && rootlessActive() {
		if err := enterView(spec, true); err != nil {
			return err
		}
	}
	// Changing credentials clears the parent-death signal: re-arm it, then
	// make sure the parent did not die in between (else nobody would kill us).
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("setting the parent-death signal: %w", err)
	}
	if os.Getppid() != spec.Parent {
		return errors.New("rwarden exited while the worker was starting")
	}

	if !spec.Insecure {
		if err := grantMounts(&spec); err != nil {
			return err
		}
		// 5. Landlock: read-only system and R trees, read-write only the
		// scratch directory, execute only R and its loader, no TCP, scoped
		// signals and abstract sockets.
		if err := applyLandlock(spec.Landlock); err != nil {
			return err
		}
		// 6. no_new_privs: nothing R runs can gain privileges (and seccomp
		// requires it for an unprivileged filter).
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("setting no_new_privs: %w", err)
		}
		// 7. seccomp, last: from here on no process creation, sockets or
		// kernel attack surface, no new executable memory (W^X); execve
		// stays allowed for the step below.
		if err := loadSeccomp(spec.UnixSockets); err != nil {
			return err
		}
		// 7b and 8: the kernel's own W^X, then R (becomeR).
		return becomeR(spec, addressSpace, true)
	}
	return becomeR(spec, addressSpace, false)
}

// becomeR ends every init, a cold worker's and a template's: (7b) the
// kernel's own W^X where it has one (Linux 6.3+) when wx is set — no
// mapping can become writable and executable, or executable after the
// fact, whatever syscall asks; it survives execve and fork, a second layer
// under the seccomp rules; older kernels (EINVAL) go without —, then (8)
// R in the scratch directory: the exec's arguments are built first, then
// the address-space limit is set, then execve runs without allocating (a
// Go runtime may already use more address space than R is allowed).
func becomeR(spec initSpec, addressSpace []rlimitSpec, wx bool) error {
	if wx {
		if err := setMDWE(); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("setting memory-deny-write-execute: %w", err)
		}
	}
	if err := os.Chdir(spec.Scratch); err != nil {
		return fmt.Errorf("entering scratch directory: %w", err)
	}
	argv0, argv, envv, err := execArgs(spec.RBinary, spec.Args, spec.Env)
	if err != nil {
		return err
	}
	if err := applyRlimits(addressSpace); err != nil {
		return err
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_EXECVE,
		uintptr(unsafe.Pointer(argv0)), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return fmt.Errorf("exec %s: %w", spec.RBinary, errno)
}

// execArgs converts an exec's path, arguments and environment to the
// NUL-terminated forms execve takes.
func execArgs(path string, args, env []string) (*byte, []*byte, []*byte, error) {
	argv0, err := syscall.BytePtrFromString(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("exec path: %w", err)
	}
	argv, err := syscall.SlicePtrFromStrings(args)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("exec arguments: %w", err)
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("exec environment: %w", err)
	}
	return argv0, argv, envv, nil
}

// splitRlimits separates RLIMIT_AS from the other limits.
func splitRlimits(all []rlimitSpec) (early, addressSpace []rlimitSpec) {
	for _, l := range all {
		if l.Resource == unix.RLIMIT_AS {
			addressSpace = append(addressSpace, l)
		} else {
			early = append(early, l)
		}
	}
	return early, addressSpace
}

func applyRlimits(limits []rlimitSpec) error {
	for _, l := range limits {
		rl := unix.Rlimit{Cur: l.Cur, Max: l.Max}
		if err := unix.Setrlimit(l.Resource, &rl); err != nil {
			return fmt.Errorf("setting %s to %d/%d: %w", l.Name, l.Cur, l.Max, err)
		}
	}
	return nil
}

// dropPrivileges leaves root for good: no supplementary groups, then gid,
// then uid (real, effective and saved).
func dropPrivileges(uid, gid int) error {
	if uid <= 0 || gid <= 0 {
		return fmt.Errorf("refusing to run a worker as uid %d gid %d", uid, gid)
	}
	if err := unix.Setgroups(nil); err != nil {
		return fmt.Errorf("clearing supplementary groups: %w", err)
	}
	if err := unix.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf("setting gid %d: %w", gid, err)
	}
	if err := unix.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("setting uid %d: %w", uid, err)
	}
	if unix.Getuid() != uid || unix.Geteuid() != uid || unix.Getgid() != gid {
		return errors.New("credentials did not change")
	}
	return nil
}

// signalIgnore sets a signal's disposition to SIG_IGN; ignored dispositions
// survive execve, so R inherits it.
func signalIgnore(sig syscall.Signal) { signal.Ignore(sig) }

// setMDWE turns on the kernel's memory-deny-write-execute for this process
// and what it becomes (PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN). It fails
// with EINVAL on kernels before 6.3.
func setMDWE() error {
	return unix.Prctl(unix.PR_SET_MDWE, unix.PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)
}

// mdweSupported reports whether the kernel has PR_SET_MDWE (Linux 6.3+).
func mdweSupported() bool {
	_, err := unix.PrctlRetInt(unix.PR_GET_MDWE, 0, 0, 0, 0)
	return err == nil
}
