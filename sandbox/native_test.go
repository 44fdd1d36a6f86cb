package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A native-code probe: a shared library compiled here and loaded into a
// real sandboxed R with dyn.load (sessions without an allowlist may), whose
// functions try what native code in a worker must not be able to do. Each
// returns 0 when the attempt succeeded, else the errno it got.

// nativeProbe is one attempt. want is the errno expected as root and
// without root; 0 means "succeeds" (a documented limit, or a control that
// must keep working).
type nativeProbe struct {
	name           string
	body           string // C statements; secret, self and watch are in scope
	root, unpriv   syscall.Errno
	rootWhy, unWhy string
	// rootless: without root but in an unprivileged user namespace, the
	// root result is expected (the view and the noexec scratch hold).
	rootless bool
}

var nativeProbes = []nativeProbe{
	// 1. System V and POSIX IPC.
	{name: "shmget", body: `int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		if (id < 0) return errno; shmctl(id, IPC_RMID, NULL); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "semget", body: `int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (id < 0) return errno; semctl(id, 0, IPC_RMID); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "msgget", body: `int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (id < 0) return errno; msgctl(id, IPC_RMID, NULL); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "mq_open", body: `mqd_t q = mq_open("/rwarden-probe", O_CREAT | O_RDWR, 0600, NULL);
		if (q == (mqd_t)-1) return errno; mq_close(q); mq_unlink("/rwarden-probe"); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	// 2. Watches on files outside the scratch directory.
	{name: "inotify_add_watch", body: `int fd = inotify_init1(0); if (fd < 0) return errno;
		int w = inotify_add_watch(fd, watch, IN_ALL_EVENTS); int e = errno; close(fd); return w < 0 ? e : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "fanotify_init", body: `int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY);
		if (fd < 0) return errno; close(fd); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	// 3. New executable memory (W^X).
	{name: "mmap anonymous RWX", body: `void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) return errno; munmap(m, 4096); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "mmap anonymous RX", body: `void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) return errno; munmap(m, 4096); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "mprotect RW to RX", body: `unsigned char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) return 1000 + errno; m[0] = 0xc3; /* ret */
		int r = mprotect(m, 4096, PROT_READ | PROT_EXEC); int e = errno; munmap(m, 4096); return r < 0 ? e : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "pkey_mprotect RW to RX", body: `unsigned char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) return 1000 + errno;
		long r = syscall(SYS_pkey_mprotect, m, 4096, PROT_READ | PROT_EXEC, -1); int e = errno; munmap(m, 4096); return r < 0 ? e : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "mmap file RWX", body: `int fd = open(self, O_RDONLY); if (fd < 0) return 1000 + errno;
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd, 0); int e = errno; close(fd);
		if (m == MAP_FAILED) return e; munmap(m, 4096); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "memfd_create", body: `int fd = syscall(SYS_memfd_create, "probe", 0); if (fd < 0) return errno; close(fd); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "personality READ_IMPLIES_EXEC", body: `long old = syscall(SYS_personality, 0xffffffff);
		long r = syscall(SYS_personality, PER_LINUX | READ_IMPLIES_EXEC); int e = errno;
		if (r < 0) return e; syscall(SYS_personality, old); return 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "remap_file_pages", body: `void *m = mmap(NULL, 8192, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) return 1000 + errno;
		long r = syscall(SYS_remap_file_pages, m, 4096, 0, 1, 0); int e = errno; munmap(m, 8192); return r < 0 ? e : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "process_vm_writev to itself", body: `char src[8] = "patched", dst[8] = {0};
		struct iovec l = {src, sizeof src}, r = {dst, sizeof dst};
		long n = syscall(SYS_process_vm_writev, getpid(), &l, 1, &r, 1, 0); return n < 0 ? errno : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "ptrace PEEKDATA of its parent", body: `long r = syscall(SYS_ptrace, PTRACE_PEEKDATA, getppid(), 0, 0);
		return r < 0 ? errno : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "unshare a user namespace", body: `return syscall(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */) < 0 ? errno : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "modify_ldt (read)", body: `char buf[16]; return syscall(SYS_modify_ldt, 0, buf, sizeof buf) < 0 ? errno : 0;`,
		root: syscall.EPERM, unpriv: syscall.EPERM},
	{name: "open /proc/self/mem for writing", body: `int fd = open("/proc/self/mem", O_RDWR); if (fd < 0) return errno; close(fd); return 0;`,
		root: syscall.EACCES, unpriv: syscall.EACCES},
	// A file the worker wrote itself, mapped as code: the scratch directory
	// is a noexec mount as root; without root nothing can refuse it (the
	// limit docs/sandbox.md states).
	{name: "mmap scratch file RX", body: `int fd = open("probe.bin", O_RDWR | O_CREAT | O_TRUNC, 0600); if (fd < 0) return 1000 + errno;
		unsigned char ret = 0xc3; if (write(fd, &ret, 1) != 1) { close(fd); return 2000 + errno; }
		void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0); int e = errno; close(fd); unlink("probe.bin");
		if (m == MAP_FAILED) return e; munmap(m, 4096); return 0;`,
		root: syscall.EPERM, rootless: true, unpriv: 0, unWhy: "without root or user namespaces the scratch directory cannot be a noexec mount"},
	// Controls: what the loader does for every package must keep working.
	{name: "control: mmap file RX", body: `int fd = open(self, O_RDONLY); if (fd < 0) return 1000 + errno;
		void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0); int e = errno; close(fd);
		if (m == MAP_FAILED) return e; munmap(m, 4096); return 0;`},
	{name: "control: mprotect RW to R", body: `void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) return 1000 + errno;
		int r = mprotect(m, 4096, PROT_READ); int e = errno; munmap(m, 4096); return r < 0 ? e : 0;`},
	// 4. Paths outside the worker's world.
	{name: "stat secret", body: `struct stat st; if (stat(secret, &st) < 0) return errno; return 0;`,
		root: syscall.ENOENT, rootless: true, unpriv: 0, unWhy: "Landlock does not govern stat(); only the minimal view hides paths"},
	{name: "open secret", body: `int fd = open(secret, O_RDONLY); if (fd < 0) return errno; close(fd); return 0;`,
		root: syscall.ENOENT, rootless: true, unpriv: syscall.EACCES},
	{name: "stat /root", body: `struct stat st; if (stat("/root", &st) < 0) return errno; return 0;`,
		root: syscall.ENOENT, rootless: true, unpriv: 0, unWhy: "Landlock does not govern stat()"},
}

// probeSource is the C text of the probe library: one function per probe
// and rw_probe(which, result, secret, self, watch) for R's .C.
func probeSource() string {
	var b strings.Builder
	b.WriteString(`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stddef.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
`)
	for i, p := range nativeProbes {
		fmt.Fprintf(&b, "static int probe%d(const char *secret, const char *self, const char *watch) {\n\t(void)secret; (void)self; (void)watch;\n\t%s\n}\n", i, p.body)
	}
	// rw_mdwe reports the worker's memory-deny-write-execute flags.
	b.WriteString("#include <sys/prctl.h>\nvoid rw_mdwe(int *flags) { *flags = prctl(0x42 /* PR_GET_MDWE */, 0, 0, 0, 0); }\n")
	b.WriteString("void rw_probe(int *which, int *result, char **secret, char **self, char **watch) {\n\tswitch (*which) {\n")
	for i := range nativeProbes {
		fmt.Fprintf(&b, "\tcase %d: *result = probe%d(*secret, *self, *watch); break;\n", i, i)
	}
	b.WriteString("\tdefault: *result = -1;\n\t}\n}\n")
	return b.String()
}

// buildProbeLibs compiles the probe library and one shared object that
// asks for an executable stack into dir.
func buildProbeLibs(t *testing.T, dir string) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed: cannot build the native probe")
	}
	src := filepath.Join(dir, "probe.c")
	require.NoError(t, os.WriteFile(src, []byte(probeSource()), 0o644))
	out, err := exec.Command("gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-Wno-misleading-indentation", "-o", filepath.Join(dir, "probe.so"), src).CombinedOutput()
	require.NoError(t, err, "compiling the probe: %s", out)
	es := filepath.Join(dir, "execstack.c")
	require.NoError(t, os.WriteFile(es, []byte("int rw_execstack(void) { return 7; }\n"), 0o644))
	out, err = exec.Command("gcc", "-shared", "-fPIC", "-Wl,-z,execstack", "-o", filepath.Join(dir, "execstack.so"), es).CombinedOutput()
	require.NoError(t, err, "compiling the execstack object: %s", out)
	for _, f := range []string{"probe.so", "execstack.so"} {
		require.NoError(t, os.Chmod(filepath.Join(dir, f), 0o755))
	}
}

// probeLibDir returns a directory holding the probe libraries that workers
// can map executable: a new directory under /usr/local/lib/R (read by
// workers, not a library path, so no package index sees it) as root; the
// directory prepared by TestNativeProbeUnprivileged's root parent as
// nobody; else "" (the test copies the libraries into the scratch
// directory, which without root is executable-mappable: the limit tested
// by "mmap scratch file RX").
func probeLibDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("RWARDEN_PROBE_LIB_DIR"); d != "" {
		return d
	}
	if os.Geteuid() != 0 {
		return ""
	}
	require.NoError(t, os.MkdirAll("/usr/local/lib/R", 0o755))
	dir, err := os.MkdirTemp("/usr/local/lib/R", "rwarden-test-probe-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	buildProbeLibs(t, dir)
	return dir
}

// startModes are the two ways a session's R starts: forked from the
// template (the default) and cold (Config.DisableFork, and the fallback
// while no template can start). The native-code and view tests run
// against both.
var startModes = []struct {
	name string
	cold bool
}{{"forked", false}, {"cold", true}}

// modeSession acquires a session from a pool of the given start mode and
// checks it was started that way.
func modeSession(t *testing.T, p *Pool, cold bool) *Session {
	t.Helper()
	s := acquire(t, p, testLimits())
	require.Equal(t, !cold, s.w.forked, "forked session expected: %v", !cold)
	return s
}

func modePool(t *testing.T, cold bool) *Pool {
	return newTestPool(t, func(c *Config) { c.DisableFork = cold })
}

// Acceptance 2 (native code): what native code loaded into a session
// tries is refused, forked or cold, as root and (via
// TestNativeProbeUnprivileged) as nobody.
func TestNativeProbe(t *testing.T) {
	for _, m := range startModes {
		t.Run(m.name, func(t *testing.T) { nativeProbeIn(t, m.cold) })
	}
}

func nativeProbeIn(t *testing.T, cold bool) {
	p := modePool(t, cold)
	libDir := probeLibDir(t)

	// A secret outside the worker's world, readable by everyone by file
	// mode, so only the sandbox stands between it and the worker.
	secretDir, err := os.MkdirTemp("", "rwarden-secret-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(secretDir) })
	require.NoError(t, os.Chmod(secretDir, 0o755))
	secret := filepath.Join(secretDir, "state.key")
	require.NoError(t, os.WriteFile(secret, []byte("SECRET-b71c\n"), 0o644))

	s := modeSession(t, p, cold)
	if libDir == "" {
		// Unprivileged, same uid as the worker: place the libraries in its
		// scratch directory.
		res := eval(t, s, "cat(getwd())")
		require.Equal(t, StatusOK, res.Status, res.Error)
		libDir = string(res.Output)
		tmp := t.TempDir()
		buildProbeLibs(t, tmp)
		for _, f := range []string{"probe.so", "execstack.so"} {
			b, err := os.ReadFile(filepath.Join(tmp, f))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(libDir, f), b, 0o755))
		}
	}
	so := filepath.Join(libDir, "probe.so")
	res := eval(t, s, fmt.Sprintf(`dyn.load(%q)
		r <- vapply(0:%d, function(i) .C("rw_probe", i, res = integer(1), %q, %q, R.home())$res, 1L)
		cat(r, sep = "\n")`, so, len(nativeProbes)-1, secret, so))
	require.Equal(t, StatusOK, res.Status, "loading the probe: %s %s", res.Error, res.Output)
	lines := strings.Fields(string(res.Output))
	require.Len(t, lines, len(nativeProbes), string(res.Output))
	root := os.Geteuid() == 0
	rootless := rootlessSupported()
	t.Logf("root %v, unprivileged user namespaces %v", root, rootless)
	for i, pr := range nativeProbes {
		got, err := strconv.Atoi(lines[i])
		require.NoError(t, err)
		want, why := pr.unpriv, pr.unWhy
		if root || (rootless && pr.rootless) {
			// Root, or where the view and noexec scratch hold without root.
			want, why = pr.root, pr.rootWhy
		}
		t.Logf("%-32s errno %d (%v)", pr.name, got, syscall.Errno(got))
		assert.Equal(t, want.Error(), syscall.Errno(got).Error(), "%s (errno %d, want %d) %s", pr.name, got, int(want), why)
	}

	// The kernel's own W^X is on where the kernel has it.
	res = eval(t, s, `cat(.C("rw_mdwe", flags = integer(1))$flags)`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	if mdweSupported() {
		assert.Equal(t, "1", string(res.Output), "PR_MDWE_REFUSE_EXEC_GAIN is set in the worker")
	} else {
		t.Log("this kernel has no PR_SET_MDWE")
	}

	// A shared object that needs an executable stack cannot be loaded:
	// the loader's mprotect(PROT_EXEC) of the stack is refused.
	res = eval(t, s, fmt.Sprintf(`dyn.load(%q)`, filepath.Join(libDir, "execstack.so")))
	assert.Equal(t, StatusError, res.Status)
	assert.Contains(t, res.Error, "executable stack")
	assert.Contains(t, res.Error, "Operation not permitted")

	// The session still works, and its own files are there.
	res = eval(t, s, `writeLines("left", "left.txt"); file.exists("left.txt")`)
	require.Equal(t, "[1] TRUE\n", string(res.Output))
}

// The same probe run by a copy of the test binary as nobody: no
// namespaces, no view, only Landlock, seccomp and rlimits.
func TestNativeProbeUnprivileged(t *testing.T) {
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("not root: TestNativeProbe already runs unprivileged")
	}
	libDir := probeLibDir(t)
	tests := "^(TestNativeProbe|TestInstalledPackagesLoad|TestMinimalView)$"
	out := runAsNobody(t, "rwarden-unpriv-native-", tests, "RWARDEN_PROBE_LIB_DIR="+libDir)
	t.Logf("as nobody:\n%s", out)
	for _, name := range []string{"TestNativeProbe", "TestInstalledPackagesLoad"} {
		assert.Contains(t, out, "--- PASS: "+name+" ", "%s did not run and pass as nobody", name)
	}
	// TestMinimalView runs where the host allows unprivileged user
	// namespaces and says so where it does not.
	assert.True(t, strings.Contains(out, "--- PASS: TestMinimalView ") ||
		strings.Contains(out, "no unprivileged user namespaces"), "TestMinimalView as nobody:\n%s", out)
}

// W^X keeps dyn.load of installed packages working: every installed package
// that loads in an unsandboxed R loads in a worker (tcltk aside: Tcl's
// script library is outside what a worker may read).
func TestInstalledPackagesLoad(t *testing.T) {
	p := newTestPool(t, nil)
	// One line: localR passes it to Rscript -e.
	code := `ip <- setdiff(rownames(installed.packages()), "tcltk"); ` +
		`ok <- vapply(ip, function(p) tryCatch({loadNamespace(p); "ok"}, error = function(e) gsub("\n", " ", conditionMessage(e))), ""); ` +
		`cat(paste(ip, ok, sep = "\t"), sep = "\n")`
	parse := func(out string) map[string]string {
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			name, status, _ := strings.Cut(line, "\t")
			m[name] = status
		}
		return m
	}
	outside := parse(localR(t, code))
	res := run(t, p, testLimits(), code)
	require.Equal(t, StatusOK, res.Status, res.Error)
	inside := parse(string(res.Output))
	require.Contains(t, outside, "stats")
	require.Equal(t, "ok", outside["stats"])
	for name, status := range outside {
		if status == "ok" {
			assert.Equal(t, "ok", inside[name], "package %s loads outside the sandbox but not in a worker", name)
		}
	}
	if _, ok := outside["data.table"]; ok {
		res := run(t, p, testLimits(), `library(data.table); dt <- data.table(a = 1:4, g = c(1, 1, 2, 2)); dt[, sum(a), by = g]$V1`)
		require.Equal(t, StatusOK, res.Status, res.Error)
		assert.Equal(t, "[1] 3 7\n", string(res.Output))
	}
	// perl = TRUE regular expressions work without PCRE's JIT (which would
	// need writable executable memory), and without a warning.
	res = run(t, p, testLimits(), `gsub("(a+)", "<\\1>", "xaay", perl = TRUE)`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "[1] \"x<aa>y\"\n", string(res.Output))
}

// As root, and without root in an unprivileged user namespace, a worker's
// filesystem is a minimal view: the host's other paths, rwarden's own files
// and other workers' scratch directories do not exist in it, not even for
// stat(); as root neither do other processes.
func TestMinimalView(t *testing.T) {
	needR(t)
	root := os.Geteuid() == 0
	if !root && !rootlessSupported() {
		t.Skip("no root and no unprivileged user namespaces: only Landlock's read denial holds (see docs/sandbox.md)")
	}
	for _, m := range startModes {
		t.Run(m.name, func(t *testing.T) { minimalViewIn(t, m.cold) })
	}
}

func minimalViewIn(t *testing.T, cold bool) {
	root := os.Geteuid() == 0
	p := modePool(t, cold)
	a := modeSession(t, p, cold)
	b := modeSession(t, p, cold)
	res := eval(t, a, `writeLines("A", "a.txt"); cat(getwd(), Sys.getpid(), sep = "\n")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	f := strings.Fields(string(res.Output))
	require.Len(t, f, 2)
	dirA, pidA := f[0], f[1]
	exe, err := os.Executable()
	require.NoError(t, err)

	hidden := []string{
		exe,                                // rwarden's own binary
		dirA, filepath.Join(dirA, "a.txt"), // another live worker's scratch
		"/root", "/home", "/etc/passwd", "/etc/shadow", "/var/log", "/run", "/work",
		"/usr/bin/sh", "/bin/sh", "/dev/shm", "/dev/mem", "/sys/kernel",
	}
	if root {
		// The private /proc: other processes and the global parts of procfs.
		hidden = append(hidden, "/proc/"+pidA, "/proc/"+strconv.Itoa(os.Getpid()), "/proc/sys", "/proc/kallsyms")
	}
	if !cold {
		// The template's scratch directory and the fork library (loaded
		// through a descriptor); as root also the template's process.
		tmpl := templateOf(t, p)
		hidden = append(hidden, tmpl.w.scratch, p.l.fork.lib)
		if root {
			hidden = append(hidden, "/proc/"+strconv.Itoa(tmpl.w.pid))
		}
	}
	for _, path := range hidden {
		res := eval(t, b, fmt.Sprintf(`cat(file.exists(%q))`, path))
		require.Equal(t, StatusOK, res.Status, res.Error)
		assert.Equal(t, "FALSE", string(res.Output), "%s exists in another worker's view", path)
	}
	// What the worker needs is there.
	res = eval(t, b, `cat(file.exists(R.home(), "/etc/R", "/dev/null", "/dev/urandom", "/proc/self/fd/3", getwd()))`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "TRUE TRUE TRUE TRUE TRUE TRUE", string(res.Output))
	// Its own process is in its /proc (others are not, above).
	res = eval(t, b, `cat(file.exists(file.path("/proc", Sys.getpid(), "stat")))`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, "TRUE", string(res.Output))
	// Nothing outside the scratch directory is writable, even where Landlock
	// would not be asked (the root of the view is read-only).
	res = eval(t, b, `cat(file.create("/x.txt", showWarnings = FALSE), file.create("/tmp/x.txt", showWarnings = FALSE))`)
	assert.Equal(t, "FALSE FALSE", string(res.Output))
	res = eval(t, a, `readLines("a.txt")`)
	assert.Equal(t, "[1] \"A\"\n", string(res.Output), "worker A is unharmed")
}
