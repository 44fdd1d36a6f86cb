package sandbox

import (
	"fmt"

	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// deniedSyscalls are answered with EPERM. The default action is to allow:
// R and its libraries use a wide and version-dependent set of ordinary
// syscalls; what is listed here is what a worker must never do, each with
// the reason. Filesystem reach is Landlock's job, not this list's.
var deniedSyscalls = []struct{ name, why string }{
	// No new processes: every shell-out and fork bomb ends here.
	{"fork", "no new processes"},
	{"vfork", "no new processes"},
	// No sockets of any family: no network, no local daemons (D-Bus,
	// nscd, X11), no netlink.
	{"socket", "no sockets of any family"},
	{"socketpair", "no sockets of any family"},
	// execveat can execute a file descriptor (e.g. a memfd) by handle.
	{"execveat", "no exec by descriptor"},
	{"memfd_create", "no anonymous files that could be executed or mapped as code"},
	// Other processes' memory and state.
	{"ptrace", "no tracing of other processes"},
	{"process_vm_readv", "no reading other processes' memory"},
	{"process_vm_writev", "no writing other processes' memory"},
	{"pidfd_getfd", "no stealing other processes' descriptors"},
	{"kcmp", "no probing other processes' kernel objects"},
	// Mounts and namespaces could undo Landlock's view of the filesystem.
	{"mount", "no mounts"},
	{"umount2", "no mounts"},
	{"move_mount", "no mounts"},
	{"open_tree", "no mounts"},
	{"fsopen", "no mounts"},
	{"fsconfig", "no mounts"},
	{"fsmount", "no mounts"},
	{"fspick", "no mounts"},
	{"mount_setattr", "no mounts"},
	{"pivot_root", "no changing the root"},
	{"chroot", "no changing the root"},
	{"unshare", "no new namespaces"},
	{"setns", "no joining namespaces"},
	// File handles bypass path-based checks.
	{"open_by_handle_at", "no opening files by handle"},
	{"name_to_handle_at", "no file handles"},
	// Large kernel attack surface that R never needs.
	{"bpf", "kernel attack surface"},
	{"perf_event_open", "kernel attack surface and side channels"},
	{"userfaultfd", "used to widen kernel race windows in exploits"},
	{"io_uring_setup", "io_uring bypasses syscall filtering"},
	{"io_uring_enter", "io_uring bypasses syscall filtering"},
	{"io_uring_register", "io_uring bypasses syscall filtering"},
	{"keyctl", "the kernel keyring is shared state"},
	{"add_key", "the kernel keyring is shared state"},
	{"request_key", "the kernel keyring is shared state"},
	// personality(READ_IMPLIES_EXEC) would make every readable mapping
	// executable, undoing the W^X rules below.
	{"personality", "can re-enable legacy address-space layouts and READ_IMPLIES_EXEC"},
	// remap_file_pages is deprecated; nothing in R needs it and it is one
	// more way to rearrange mappings behind the W^X rules.
	{"remap_file_pages", "deprecated mapping surgery"},
	// System V and POSIX IPC objects are kernel state that outlives the
	// process, is not charged to its memory limit and is reachable by any
	// process of the same IPC namespace (other workers, without root).
	// shmat(SHM_EXEC) would also map shared memory executable.
	{"shmget", "no System V shared memory: outlives the session and escapes its limits"},
	{"shmat", "no System V shared memory: outlives the session and escapes its limits"},
	{"shmctl", "no System V shared memory: outlives the session and escapes its limits"},
	{"shmdt", "no System V shared memory: outlives the session and escapes its limits"},
	{"semget", "no System V semaphores: shared with other workers"},
	{"semop", "no System V semaphores: shared with other workers"},
	{"semtimedop", "no System V semaphores: shared with other workers"},
	{"semctl", "no System V semaphores: shared with other workers"},
	{"msgget", "no System V message queues: shared with other workers"},
	{"msgsnd", "no System V message queues: shared with other workers"},
	{"msgrcv", "no System V message queues: shared with other workers"},
	{"msgctl", "no System V message queues: shared with other workers"},
	{"mq_open", "no POSIX message queues: shared with other workers"},
	{"mq_unlink", "no POSIX message queues: shared with other workers"},
	{"mq_timedsend", "no POSIX message queues: shared with other workers"},
	{"mq_timedreceive", "no POSIX message queues: shared with other workers"},
	{"mq_notify", "no POSIX message queues: shared with other workers"},
	{"mq_getsetattr", "no POSIX message queues: shared with other workers"},
	// Watches report activity on files outside the worker's reach
	// (Landlock does not govern inotify_add_watch's read of metadata).
	{"inotify_init", "no watching files outside the scratch directory"},
	{"inotify_init1", "no watching files outside the scratch directory"},
	{"inotify_add_watch", "no watching files outside the scratch directory"},
	{"fanotify_init", "no watching the filesystem"},
	{"fanotify_mark", "no watching the filesystem"},
	// Host administration.
	{"kexec_load", "host administration"},
	{"kexec_file_load", "host administration"},
	{"init_module", "host administration"},
	{"finit_module", "host administration"},
	{"delete_module", "host administration"},
	{"reboot", "host administration"},
	// A root fork template shares the host's UTS namespace and keeps
	// CAP_SYS_ADMIN for its children's mounts: that would change the
	// host's names.
	{"sethostname", "host administration"},
	{"setdomainname", "host administration"},
	{"swapon", "host administration"},
	{"swapoff", "host administration"},
	{"syslog", "reading the kernel log"},
	{"acct", "host administration"},
	{"quotactl", "host administration"},
	{"quotactl_fd", "host administration"},
	{"modify_ldt", "16- and 32-bit code segments: kernel attack surface R never needs"},
	{"uselib", "legacy library loading"},
	{"iopl", "raw I/O port access"},
	{"ioperm", "raw I/O port access"},
	{"vhangup", "terminal control of others"},
}

// argCond is one masked-equality test of a syscall argument:
// (arg[Arg] & Mask) == Value.
type argCond struct {
	Arg         uint
	Mask, Value uint64
}

// argRule denies a syscall when all its conditions hold. Several rules for
// one syscall deny it when any of them holds.
type argRule struct {
	name, why string
	conds     []argCond
}

// wxRules keep memory writable or executable, never both over its life
// (W^X): no new executable memory can be made from bytes the process wrote.
// The dynamic loader keeps working: it maps a shared object's code from the
// object's file (PROT_READ|PROT_EXEC with a descriptor, never writable), and
// changes protections afterwards only to drop rights (RELRO). What remains
// allowed is mapping a *file* executable; the files a worker can write are
// in its scratch directory, which is a noexec mount as root (see
// docs/sandbox.md for the unprivileged case).
var wxRules = []argRule{
	{"mprotect", "no making existing memory executable", []argCond{{2, unix.PROT_EXEC, unix.PROT_EXEC}}},
	{"pkey_mprotect", "no making existing memory executable", []argCond{{2, unix.PROT_EXEC, unix.PROT_EXEC}}},
	{"mmap", "no memory writable and executable at once",
		[]argCond{{2, unix.PROT_WRITE | unix.PROT_EXEC, unix.PROT_WRITE | unix.PROT_EXEC}}},
	{"mmap", "no anonymous executable memory",
		[]argCond{{2, unix.PROT_EXEC, unix.PROT_EXEC}, {3, unix.MAP_ANONYMOUS, unix.MAP_ANONYMOUS}}},
}

// namespaceCloneFlags are denied in clone even for threads: a worker never
// creates namespaces (the kernel already requires privileges or rejects
// them with CLONE_THREAD; this does not depend on that). CLONE_NEWTIME is
// not among them: clone() reads that bit as part of the exit signal, and
// only clone3 (ENOSYS here) takes it.
var namespaceCloneFlags = []uint64{
	unix.CLONE_NEWNS, unix.CLONE_NEWUTS, unix.CLONE_NEWIPC, unix.CLONE_NEWUSER,
	unix.CLONE_NEWPID, unix.CLONE_NEWNET, unix.CLONE_NEWCGROUP,
}

// addArgRule adds one conditional deny rule.
func addArgRule(f *seccomp.ScmpFilter, r argRule, act seccomp.ScmpAction) error {
	sc, err := seccomp.GetSyscallFromName(r.name)
	if err != nil {
		return fmt.Errorf("seccomp: syscall %s (%s) unknown to libseccomp: %w", r.name, r.why, err)
	}
	conds := make([]seccomp.ScmpCondition, 0, len(r.conds))
	for _, c := range r.conds {
		cond, err := seccomp.MakeCondition(c.Arg, seccomp.CompareMaskedEqual, c.Mask, c.Value)
		if err != nil {
			return fmt.Errorf("seccomp condition for %s: %w", r.name, err)
		}
		conds = append(conds, cond)
	}
	if err := f.AddRuleConditional(sc, act, conds); err != nil {
		return fmt.Errorf("seccomp rule for %s (%s): %w", r.name, r.why, err)
	}
	return nil
}

// buildSeccompFilter returns the worker filter, not yet loaded. It is the
// one definition of what a worker may not do: every process that runs user
// code must be under exactly this filter.
func buildSeccompFilter() (*seccomp.ScmpFilter, error) {
	return buildFilter(filterExceptions{})
}

// filterExceptions are the only ways a filter may differ from the worker
// filter: a fork template's (buildTemplateSeccompFilter) needs to fork and,
// as root, to give its children their own mount and IPC namespaces.
type filterExceptions struct {
	// fork allows clone without CLONE_THREAD (a new process); clone with a
	// namespace flag stays denied.
	fork bool
	// skip are entries of deniedSyscalls left out of the filter; extra
	// are conditional rules added instead (narrowing what skip allows).
	skip  map[string]bool
	extra []argRule
	// denyUnlessEqual: rules denying a syscall when an argument is NOT
	// equal to a value (mount only with exactly given flags).
	denyUnlessEqual []argRule
}

// buildFilter is the worker filter with the exceptions ex.
func buildFilter(ex filterExceptions) (*seccomp.ScmpFilter, error) {
	f, err := seccomp.NewFilter(seccomp.ActAllow)
	if err != nil {
		return nil, fmt.Errorf("creating seccomp filter: %w", err)
	}
	fail := func(err error) (*seccomp.ScmpFilter, error) {
		f.Release()
		return nil, err
	}
	// Only the native architecture: a syscall made through another ABI
	// (i386 int 0x80, x32) kills the process instead of slipping past rules
	// written for native numbers. libseccomp's native x86_64 filter also
	// treats x32 numbers as a foreign architecture.
	if err := f.SetBadArchAction(seccomp.ActKillProcess); err != nil {
		return fail(fmt.Errorf("seccomp bad-arch action: %w", err))
	}
	if err := f.SetNoNewPrivsBit(true); err != nil {
		return fail(fmt.Errorf("seccomp no_new_privs: %w", err))
	}
	// A binary tree over syscall numbers instead of one linear chain of
	// the denied ones: every session process loads this filter, and the
	// kernel then emulates it for each syscall number to fill its
	// per-filter allow cache (under a spinlock, with interrupts off); with
	// the chain that was some 0.1 ms of every session's start. The rules
	// and actions are the same; only their order of evaluation changes.
	if err := f.SetOptimize(2); err != nil {
		return fail(fmt.Errorf("seccomp binary-tree optimization: %w", err))
	}
	eperm := seccomp.ActErrno.SetReturnCode(int16(unix.EPERM))
	for _, d := range deniedSyscalls {
		if ex.skip[d.name] {
			continue
		}
		sc, err := seccomp.GetSyscallFromName(d.name)
		if err != nil {
			// Unknown to this libseccomp: the kernel headers it was built
			// with predate the syscall. Fail closed rather than guess.
			return fail(fmt.Errorf("seccomp: syscall %s (%s) unknown to libseccomp: %w", d.name, d.why, err))
		}
		if err := f.AddRule(sc, eperm); err != nil {
			return fail(fmt.Errorf("seccomp rule for %s: %w", d.name, err))
		}
	}
	// clone is how threads are made too: allow it only with CLONE_THREAD
	// (a thread of this process), deny it otherwise (a new process).
	if !ex.fork {
		r := argRule{"clone", "no new processes", []argCond{{0, unix.CLONE_THREAD, 0}}}
		if err := addArgRule(f, r, eperm); err != nil {
			return fail(err)
		}
	}
	for _, flag := range namespaceCloneFlags {
		r := argRule{"clone", "no new namespaces", []argCond{{0, flag, flag}}}
		if err := addArgRule(f, r, eperm); err != nil {
			return fail(err)
		}
	}
	for _, r := range append(append([]argRule{}, wxRules...), ex.extra...) {
		if err := addArgRule(f, r, eperm); err != nil {
			return fail(err)
		}
	}
	for _, r := range ex.denyUnlessEqual {
		if err := addNotEqualRule(f, r, eperm); err != nil {
			return fail(err)
		}
	}
	// clone3 passes its flags in memory, where a filter cannot look. Answer
	// ENOSYS so that libc falls back to clone, which the rules above check.
	clone3, err := seccomp.GetSyscallFromName("clone3")
	if err != nil {
		return fail(err)
	}
	if err := f.AddRule(clone3, seccomp.ActErrno.SetReturnCode(int16(unix.ENOSYS))); err != nil {
		return fail(fmt.Errorf("seccomp rule for clone3: %w", err))
	}
	return f, nil
}

// addNotEqualRule denies a syscall when its argument differs from the
// value (one condition, Mask unused).
func addNotEqualRule(f *seccomp.ScmpFilter, r argRule, act seccomp.ScmpAction) error {
	sc, err := seccomp.GetSyscallFromName(r.name)
	if err != nil {
		return fmt.Errorf("seccomp: syscall %s (%s) unknown to libseccomp: %w", r.name, r.why, err)
	}
	if len(r.conds) != 1 {
		return fmt.Errorf("seccomp rule for %s: one condition expected", r.name)
	}
	cond, err := seccomp.MakeCondition(r.conds[0].Arg, seccomp.CompareNotEqual, r.conds[0].Value)
	if err != nil {
		return fmt.Errorf("seccomp condition for %s: %w", r.name, err)
	}
	if err := f.AddRuleConditional(sc, act, []seccomp.ScmpCondition{cond}); err != nil {
		return fmt.Errorf("seccomp rule for %s (%s): %w", r.name, r.why, err)
	}
	return nil
}

// seccompAvailable reports whether the kernel supports seccomp filters.
func seccompAvailable() error {
	api, err := seccomp.GetAPI()
	if err != nil {
		return fmt.Errorf("seccomp API: %w", err)
	}
	if api < 1 {
		return fmt.Errorf("kernel has no seccomp filter support")
	}
	return nil
}

func loadSeccomp(unixSockets bool) error {
	if err := seccompAvailable(); err != nil {
		return fmt.Errorf("refusing to start an unconfined R: %w", err)
	}
	build := buildSeccompFilter
	if unixSockets {
		build = buildEgressSeccompFilter
	}
	f, err := build()
	if err != nil {
		return err
	}
	defer f.Release()
	// NewFilter sets TSYNC: the filter applies to every thread of the init.
	// The thread that execs R is what counts; the others vanish at execve.
	if err := f.Load(); err != nil {
		return fmt.Errorf("loading seccomp filter: %w", err)
	}
	return nil
}
