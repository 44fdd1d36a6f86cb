package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	seccomp "github.com/seccomp/libseccomp-golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The fork template's seccomp filter allows what forking a confined child
// needs and nothing more: each filter is loaded into a copy of this test
// binary, which then tries the operations below and reports each errno.

// filterEnv names the filter a helper process loads (filterChildMain).
const filterEnv = "RWARDEN_TEST_FILTER"

// filterOps are the attempts, in order; mountDir is a scratch directory.
var filterOps = []struct {
	name string
	try  func(mountDir string) error
}{
	{"fork and exec", func(string) error {
		pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{Env: []string{}})
		if err != nil {
			return err
		}
		_, err = syscall.Wait4(pid, nil, 0, nil)
		return err
	}},
	{"unshare mount+IPC", func(string) error { return unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWIPC) }},
	{"unshare user", func(string) error { return unix.Unshare(unix.CLONE_NEWUSER) }},
	// A Go process has several threads: where a filter lets this through,
	// the kernel answers EINVAL (a user namespace needs one thread).
	{"unshare user+mount+IPC", func(string) error { return unix.Unshare(rootlessSessionUnshare) }},
	{"unshare net", func(string) error { return unix.Unshare(unix.CLONE_NEWNET) }},
	{"unshare mount+PID", func(string) error { return unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWPID) }},
	{"mount session tmpfs", func(d string) error {
		return unix.Mount("rwarden-scratch", d, "tmpfs", sessionMountFlags, "size=1m")
	}},
	{"mount tmpfs exec", func(d string) error {
		return unix.Mount("rwarden-scratch", d, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m")
	}},
	{"bind mount", func(d string) error { return unix.Mount("/", d, "", unix.MS_BIND, "") }},
	{"remount", func(d string) error { return unix.Mount("", d, "", unix.MS_REMOUNT|sessionMountFlags, "") }},
	{"umount2", func(d string) error { return unix.Unmount(d, unix.MNT_DETACH) }},
	{"pivot_root", func(d string) error { return unix.PivotRoot(d, d) }},
	{"shmget", func(string) error {
		_, _, e := unix.Syscall(unix.SYS_SHMGET, 0 /* IPC_PRIVATE */, 4096, 0o1600)
		return errnoOrNil(e)
	}},
	{"inotify_init1", func(string) error { fd, err := unix.InotifyInit1(0); unix.Close(fd); return err }},
	{"mmap anonymous RWX", func(string) error {
		_, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANON)
		return err
	}},
	{"mprotect to RX", func(string) error {
		m, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			return fmt.Errorf("control mmap: %w", err)
		}
		return unix.Mprotect(m, unix.PROT_READ|unix.PROT_EXEC)
	}},
	{"memfd_create", func(string) error { fd, err := unix.MemfdCreate("x", 0); unix.Close(fd); return err }},
	{"socket", func(string) error {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		unix.Close(fd)
		return err
	}},
	{"ptrace", func(string) error { return unix.PtraceAttach(os.Getppid()) }},
	// The host's own name, set to what it is: no change if a filter let it
	// through as root.
	{"sethostname", func(string) error {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return fmt.Errorf("uname: %w", err)
		}
		return unix.Sethostname([]byte(unix.ByteSliceToString(u.Nodename[:])))
	}},
	{"clone with CLONE_NEWUSER", func(string) error {
		pid, _, e := unix.RawSyscall6(unix.SYS_CLONE, uintptr(unix.CLONE_NEWUSER|unix.SIGCHLD), 0, 0, 0, 0, 0)
		if e == 0 && pid == 0 {
			unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
		if e == 0 {
			_, _ = unix.Wait4(int(pid), nil, 0, nil)
		}
		return errnoOrNil(e)
	}},
}

func errnoOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// filterChildMain runs in the helper process: load the named filter on
// this thread's process, try every operation, print "errno" per line.
func filterChildMain(which, mountDir string) {
	runtime.LockOSThread()
	var f *seccomp.ScmpFilter
	var err error
	switch which {
	case "worker":
		f, err = buildSeccompFilter()
	case "template":
		f, err = buildTemplateSeccompFilter(false, false)
	case "template-rootless":
		f, err = buildTemplateSeccompFilter(false, true)
	case "template-root":
		f, err = buildTemplateSeccompFilter(true, false)
	default:
		err = fmt.Errorf("unknown filter %q", which)
	}
	if err == nil {
		err = f.Load()
	}
	if err != nil {
		fmt.Println("load:", err)
		os.Exit(2)
	}
	for _, op := range filterOps {
		e := op.try(mountDir)
		var errno syscall.Errno
		if e != nil && !errors.As(e, &errno) {
			fmt.Println(op.name, "error:", e)
			os.Exit(3)
		}
		fmt.Println(int(errno))
	}
	os.Exit(0)
}

func TestTemplateSeccompFilter(t *testing.T) {
	root := os.Geteuid() == 0
	ok, eperm := syscall.Errno(0), syscall.EPERM
	// mountOK: a mount the filter lets through succeeds as root (in the
	// helper's own mount namespace); without root the kernel refuses it.
	mountOK := eperm
	if root {
		mountOK = ok
	}
	// want per filter: worker, template (unprivileged, no user namespaces),
	// template as root, rootless template (unprivileged user namespaces).
	want := map[string][4]syscall.Errno{
		"fork and exec":            {eperm, ok, ok, ok},
		"unshare mount+IPC":        {eperm, eperm, ok, eperm},
		"unshare user":             {eperm, eperm, eperm, eperm},
		"unshare user+mount+IPC":   {eperm, eperm, eperm, syscall.EINVAL},
		"unshare net":              {eperm, eperm, eperm, eperm},
		"unshare mount+PID":        {eperm, eperm, eperm, eperm},
		"mount session tmpfs":      {eperm, eperm, ok, mountOK},
		"mount tmpfs exec":         {eperm, eperm, eperm, eperm},
		"bind mount":               {eperm, eperm, eperm, eperm},
		"remount":                  {eperm, eperm, eperm, eperm},
		"umount2":                  {eperm, eperm, eperm, eperm},
		"pivot_root":               {eperm, eperm, eperm, eperm},
		"shmget":                   {eperm, eperm, eperm, eperm},
		"inotify_init1":            {eperm, eperm, eperm, eperm},
		"mmap anonymous RWX":       {eperm, eperm, eperm, eperm},
		"mprotect to RX":           {eperm, eperm, eperm, eperm},
		"memfd_create":             {eperm, eperm, eperm, eperm},
		"socket":                   {eperm, eperm, eperm, eperm},
		"ptrace":                   {eperm, eperm, eperm, eperm},
		"sethostname":              {eperm, eperm, eperm, eperm},
		"clone with CLONE_NEWUSER": {eperm, eperm, eperm, eperm},
	}
	require.Len(t, want, len(filterOps))
	exe, err := os.Executable()
	require.NoError(t, err)
	for i, which := range []string{"worker", "template", "template-root", "template-rootless"} {
		t.Run(which, func(t *testing.T) {
			if which == "template-root" && !root {
				t.Skip("as root only: without root the kernel itself refuses unshare and mount")
			}
			mountDir := t.TempDir()
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), filterEnv+"="+which, filterEnv+"_DIR="+mountDir)
			if root {
				// Its own (private) mount namespace from the start: a mount a
				// filter wrongly let through never reaches the host's.
				cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
			}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			lines := strings.Fields(string(out))
			require.Len(t, lines, len(filterOps), "%s", out)
			for j, op := range filterOps {
				got, err := strconv.Atoi(lines[j])
				require.NoError(t, err, "%s", out)
				assert.Equal(t, want[op.name][i].Error(), syscall.Errno(got).Error(), "%s under the %s filter", op.name, which)
			}
		})
	}
}
