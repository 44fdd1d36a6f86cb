package sandbox

// Without root, a worker's init can still get the minimal filesystem view,
// a noexec scratch directory and its own IPC and network namespaces from an
// unprivileged user namespace, where the kernel allows those. unshare of a
// user namespace requires a single-threaded process, and a Go program never
// is one: so it is done here, in a C constructor that runs before the Go
// runtime starts, only in a process started as the worker init (argv[1] is
// InitCommand), only when not root (root uses real namespaces), not
// insecure, and when rwarden asked for it (the spec's rootless field, set
// where rootlessSupported). The process maps only its own uid and gid, so it owns nothing
// more than before; the capabilities it holds inside the namespace (to
// mount) are dropped by the execve of R, whose uid is not 0 there.
//
// A second hidden command, rootlessProbeCommand, makes the constructor try
// the same, twice nested (as a forked session does inside its template's
// namespaces), and exit at once: how rwarden, `sandbox check` and the tests
// learn whether this host allows it.

/*
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// rwarden_rootless: 0 not tried, 1 in own user, mount, IPC and network
// namespaces, else minus the errno of the failed step.
int rwarden_rootless = 0;

static int rwarden_write(const char *path, const char *s) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	if (n != (ssize_t)strlen(s)) return n < 0 ? -e : -EIO;
	return 0;
}

static int rwarden_unshare(void) {
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) != 0) return -errno;
	int r = rwarden_write("/proc/self/setgroups", "deny");
	if (r) return r;
	snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
	if ((r = rwarden_write("/proc/self/uid_map", map))) return r;
	snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
	if ((r = rwarden_write("/proc/self/gid_map", map))) return r;
	return 1;
}

__attribute__((constructor)) static void rwarden_rootless_init(int argc, char **argv, char **envp) {
	(void)envp;
	if (argc < 2 || geteuid() == 0) return;
	// The probe goes two levels deep: a forked session's user namespace is
	// nested in its template's (rwarden_fork.c).
	if (strcmp(argv[1], "__rwarden-userns-probe") == 0) _exit(rwarden_unshare() == 1 && rwarden_unshare() == 1 ? 0 : 1);
	if (argc < 3 || strcmp(argv[1], "__rwarden-sandbox-init") != 0) return;
	// The spec is JSON from encoding/json: a quote inside a string value is
	// escaped, so these unescaped forms can only be the spec's own fields.
	// rwarden sets rootless only where its probe (below) succeeded.
	if (strstr(argv[2], "\"rootless\":true") == NULL) return;
	if (strstr(argv[2], "\"insecure\":true") != NULL) return;
	rwarden_rootless = rwarden_unshare();
}
*/
import "C"

import (
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// rootlessProbeCommand makes a process try the unprivileged namespaces and
// exit 0 when it could (see the constructor above; it must match).
const rootlessProbeCommand = "__rwarden-userns-probe"

// rootlessActive reports whether this process (an unprivileged init) is in
// its own user, mount, IPC and network namespaces.
func rootlessActive() bool { return C.rwarden_rootless == 1 }

// rootlessError is why the constructor could not set up the namespaces.
func rootlessError() error {
	if v := int(C.rwarden_rootless); v < 0 {
		return syscall.Errno(-v)
	}
	return nil
}

var rootlessOnce struct {
	sync.Once
	ok bool
}

// rootlessSupported reports whether an unprivileged worker init on this
// host gets its own namespaces: it runs this executable with
// rootlessProbeCommand (once per process). Always false as root, where
// workers use real namespaces.
func rootlessSupported() bool {
	if os.Geteuid() == 0 {
		return false
	}
	rootlessOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			return
		}
		cmd := exec.Command(exe, rootlessProbeCommand)
		cmd.Env = []string{}
		rootlessOnce.ok = cmd.Run() == nil
	})
	return rootlessOnce.ok
}
