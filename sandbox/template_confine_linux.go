package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The confinement of a fork template and what rwarden prepares for the
// session processes it forks (see docs/sandbox.md, "Forked sessions").

// sessionMountFlags are the flags of the one mount a root session process
// makes (its scratch tmpfs, rwarden_fork.c); the template's filter denies
// every other mount (no bind, remount, move or propagation change).
const sessionMountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// buildTemplateSeccompFilter is the worker filter (buildFilter: the same
// denied syscalls, W^X, IPC and watch denial, no namespaces by clone) with
// only what forking confined children needs: clone of a new process; as
// root, unshare of a mount and an IPC namespace (any other namespace flag
// denied); rootless (not root, in an unprivileged user namespace), unshare
// of exactly a user, mount and IPC namespace together; and in both cases
// mount with exactly the session tmpfs's flags. The session process uses
// these before it loads the worker filter itself.
func buildTemplateSeccompFilter(privileged, rootless bool) (*seccomp.ScmpFilter, error) {
	ex := filterExceptions{fork: true}
	mountRule := argRule{"mount", "only a session's scratch tmpfs", []argCond{{Arg: 3, Value: sessionMountFlags}}}
	switch {
	case privileged:
		ex.skip = map[string]bool{"unshare": true, "mount": true}
		for _, flag := range []uint64{unix.CLONE_NEWUSER, unix.CLONE_NEWPID, unix.CLONE_NEWNET,
			unix.CLONE_NEWUTS, unix.CLONE_NEWCGROUP, unix.CLONE_NEWTIME} {
			ex.extra = append(ex.extra, argRule{"unshare", "only mount and IPC namespaces for session processes",
				[]argCond{{0, flag, flag}}})
		}
		ex.denyUnlessEqual = []argRule{mountRule}
	case rootless:
		ex.skip = map[string]bool{"unshare": true, "mount": true}
		ex.denyUnlessEqual = []argRule{
			{"unshare", "only a session's own user, mount and IPC namespaces",
				[]argCond{{Arg: 0, Value: rootlessSessionUnshare}}},
			mountRule,
		}
	}
	return buildFilter(ex)
}

// rootlessSessionUnshare are the namespaces a rootless session process
// enters (rwarden_fork.c): a user namespace of its own, in which it may
// mount its scratch tmpfs and have an IPC namespace.
const rootlessSessionUnshare = unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWIPC

// sessionSeccompBPF is the cold worker's filter (buildSeccompFilter),
// compiled to BPF by libseccomp for a session process to load itself.
func sessionSeccompBPF() ([]byte, error) {
	f, err := buildSeccompFilter()
	if err != nil {
		return nil, err
	}
	defer f.Release()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	type result struct {
		b   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		got <- result{b, err}
	}()
	err = f.ExportBPF(w)
	w.Close()
	res := <-got
	if err != nil {
		return nil, fmt.Errorf("exporting seccomp BPF: %w", err)
	}
	if res.err != nil {
		return nil, fmt.Errorf("reading seccomp BPF: %w", res.err)
	}
	if len(res.b) == 0 || len(res.b)%8 != 0 {
		return nil, fmt.Errorf("seccomp BPF of %d bytes is not a program", len(res.b))
	}
	return res.b, nil
}

// applyTemplateLandlock gives the template a Landlock domain that denies
// TCP and confines signals and abstract unix sockets to its own domain (the
// session processes are nested in it). It handles no filesystem right on
// purpose: a process in a domain with filesystem rules can never mount, and
// a root session process mounts its scratch tmpfs. Each session process
// adds the full worker layer (filesystem included) itself.
func applyTemplateLandlock() error {
	abi := landlockABI()
	if abi < minLandlockABI {
		return errors.New("this kernel has no Landlock (need ABI >= 1); refusing to start a template")
	}
	var attr ll.RulesetAttr
	if abi >= 4 {
		attr.HandledAccessNet = ll.AccessNetBindTCP | ll.AccessNetConnectTCP
	}
	if abi >= 6 {
		attr.Scoped = ll.ScopeAbstractUnixSocket | ll.ScopeSignal
	}
	if attr.HandledAccessNet == 0 && attr.Scoped == 0 {
		return nil // nothing to handle on this kernel; seccomp denies sockets
	}
	fd, err := ll.LandlockCreateRuleset(&attr, 0)
	if err != nil {
		return fmt.Errorf("creating the template's Landlock ruleset: %w", err)
	}
	defer unix.Close(fd)
	if err := ll.LandlockRestrictSelf(fd, 0); err != nil {
		return fmt.Errorf("applying the template's Landlock ruleset: %w", err)
	}
	return nil
}

// landlockFSRights are the filesystem rights Landlock ABI abi knows, up to
// what the cold workers' target (V7) handles.
func landlockFSRights(abi int) uint64 {
	r := uint64(ll.AccessFSExecute | ll.AccessFSWriteFile | ll.AccessFSReadFile | ll.AccessFSReadDir |
		ll.AccessFSRemoveDir | ll.AccessFSRemoveFile | ll.AccessFSMakeChar | ll.AccessFSMakeDir |
		ll.AccessFSMakeReg | ll.AccessFSMakeSock | ll.AccessFSMakeFifo | ll.AccessFSMakeBlock | ll.AccessFSMakeSym)
	if abi >= 2 {
		r |= ll.AccessFSRefer
	}
	if abi >= 3 {
		r |= ll.AccessFSTruncate
	}
	if abi >= 5 {
		r |= ll.AccessFSIoctlDev
	}
	return r
}

// sessionLandlockRuleset builds, in rwarden, the Landlock ruleset of one
// session process from the same landlockSpec a cold worker applies (its own
// scratch directory read-write, R and system trees read-only, R and its
// loader executable), and returns its descriptor for the session process to
// enforce on itself, with the filesystem rights it handles.
func sessionLandlockRuleset(s landlockSpec) (int, uint64, error) {
	abi := landlockABI()
	if abi < minLandlockABI {
		return -1, 0, errors.New("this kernel has no Landlock (need ABI >= 1)")
	}
	handled := landlockFSRights(abi)
	attr := ll.RulesetAttr{HandledAccessFS: handled}
	if abi >= 4 {
		attr.HandledAccessNet = ll.AccessNetBindTCP | ll.AccessNetConnectTCP
	}
	if abi >= 6 {
		attr.Scoped = ll.ScopeAbstractUnixSocket | ll.ScopeSignal
	}
	fd, err := ll.LandlockCreateRuleset(&attr, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("creating a session's Landlock ruleset: %w", err)
	}
	add := func(access uint64, mustExist bool, paths ...string) error {
		for _, p := range paths {
			pfd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
			if err != nil {
				if !mustExist && errors.Is(err, unix.ENOENT) {
					continue
				}
				return fmt.Errorf("opening %s for a Landlock rule: %w", p, err)
			}
			err = ll.LandlockAddPathBeneathRule(fd, &ll.PathBeneathAttr{AllowedAccess: access & handled, ParentFd: pfd}, 0)
			unix.Close(pfd)
			if err != nil {
				return fmt.Errorf("adding a Landlock rule for %s: %w", p, err)
			}
		}
		return nil
	}
	for _, r := range []struct {
		access    uint64
		mustExist bool
		paths     []string
	}{
		{fsRead, false, s.ReadDirs},
		{fsFile, false, s.ReadFiles},
		{fsExec, true, s.ExecFiles},
		{fsRWDir, true, s.WriteDirs},
		{fsRWFile, false, s.WriteFiles},
	} {
		if err := add(r.access, r.mustExist, r.paths...); err != nil {
			unix.Close(fd)
			return -1, 0, err
		}
	}
	return fd, handled, nil
}

// initTemplate is initWorker for a fork template: the same steps (as root
// the minimal view and own network and IPC namespaces; no_new_privs,
// seccomp, memory-deny-write-execute), except that it keeps fds 5 and 6
// (control socket, fork library), stays root when rwarden is root (its
// session processes change to their own uids), and takes the template's
// Landlock domain and seccomp filter (buildTemplateSeccompFilter).
func initTemplate(spec initSpec) error {
	if err := unix.CloseRange(templateKeepFDs, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("closing inherited descriptors: %w", err)
	}
	early, addressSpace := splitRlimits(spec.Rlimits)
	if err := applyRlimits(early); err != nil {
		return err
	}
	signalIgnore(syscall.SIGXFSZ)
	// As root: the same minimal filesystem view as a cold worker (its
	// session processes inherit it and mount their own scratch tmpfs over
	// the scratch root in it), and its own network and IPC namespaces.
	if spec.Privileged {
		if err := enterView(spec, false); err != nil {
			return err
		}
		if err := unix.Unshare(unix.CLONE_NEWNET | unix.CLONE_NEWIPC); err != nil {
			return fmt.Errorf("entering new network and IPC namespaces: %w", err)
		}
		if err := limitTemplateCapabilities(); err != nil {
			return err
		}
	}
	// Without root, rwarden asks for the rootless template where the host
	// allows unprivileged user namespaces: its init is then in its own
	// user, mount, IPC and network namespaces (rootless_linux.go) and
	// enters the minimal view as a cold worker does. Its session processes
	// inherit the view and network namespace and take their own user, mount
	// and IPC namespaces and scratch tmpfs (rwarden_fork.c). If the
	// namespaces failed here, the template does not start (the sessions
	// would expect them): rwarden starts workers cold.
	if spec.Rootless {
		if spec.Privileged {
			return errors.New("a template cannot be privileged and rootless")
		}
		if !rootlessActive() {
			why := "not set up"
			if err := rootlessError(); err != nil {
				why = err.Error()
			}
			return fmt.Errorf("the rootless template has no user namespace of its own: %s", why)
		}
		if err := enterView(spec, true); err != nil {
			return err
		}
	}
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("setting the parent-death signal: %w", err)
	}
	if os.Getppid() != spec.Parent {
		return errors.New("rwarden exited while the template was starting")
	}
	// no_new_privs first: without it an unprivileged process may not
	// enter a Landlock domain.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	if err := applyTemplateLandlock(); err != nil {
		return err
	}
	if err := seccompAvailable(); err != nil {
		return fmt.Errorf("refusing to start an unconfined template: %w", err)
	}
	f, err := buildTemplateSeccompFilter(spec.Privileged, spec.Rootless)
	if err != nil {
		return err
	}
	err = f.Load()
	f.Release()
	if err != nil {
		return fmt.Errorf("loading the template's seccomp filter: %w", err)
	}
	// The kernel's W^X, as in a cold worker; fork passes it on to every
	// session process, which cannot turn it off. The fork library is
	// mapped from its file by the loader, which it allows.
	return becomeR(spec, addressSpace, true)
}

// A template keeps a worker's five descriptors, as fd 5 its control
// socket to rwarden and as fd 6 the fork library, opened by rwarden: R
// loads it through /proc/self/fd/6, so the library's path need not exist
// in the template's minimal view (nor, then, in its sessions').
const (
	templateCtlFD   = keepFDs
	templateLibFD   = keepFDs + 1
	templateKeepFDs = keepFDs + 2
)

// templateCapabilities are the capabilities a root template keeps, each
// used by a session process before it drops to its own uid (and with it
// every capability): its mount and IPC namespaces and its tmpfs
// (CAP_SYS_ADMIN), handing its scratch directory to its uid (CAP_CHOWN),
// its gid, groups and uid (CAP_SETGID, CAP_SETUID), and reopening its
// pipes, which rwarden already gave to its uid, for the harness's
// connections (CAP_DAC_OVERRIDE).
var templateCapabilities = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_CHOWN, unix.CAP_SETGID, unix.CAP_SETUID, unix.CAP_DAC_OVERRIDE}

// templateCapabilityMask is templateCapabilities as a bit mask.
func templateCapabilityMask() uint64 {
	var m uint64
	for _, c := range templateCapabilities {
		m |= 1 << c
	}
	return m
}

// limitTemplateCapabilities drops every other capability from the bounding
// set (and clears the ambient set): at the exec of R, root's capabilities
// become the bounding set, so the template runs with only these.
func limitTemplateCapabilities() error {
	keep := templateCapabilityMask()
	for c := uintptr(0); c < 64; c++ {
		if keep&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break // past the kernel's last capability
			}
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	return nil
}
