/*
 * rwarden fork library: loaded with dyn.load() into a template R process
 * (see sandbox/template.R and docs/sandbox.md, "Forked sessions").
 *
 * The template calls rwarden_template_serve() once, through R's .C
 * interface (plain C types, no R headers). The call serves fork requests
 * from rwarden on the control socket (fd given as argument) and returns
 *   - in the template, when rwarden closes the socket (the template then
 *     quits), with *role = 0;
 *   - in every forked session process, with *role = 1, after the process
 *     took its own confinement (in this order): a new session and process
 *     group, its pipes on fds 1-4, as root a new mount and IPC namespace
 *     (rootless: a new user, mount and IPC namespace) with a private tmpfs
 *     on its scratch directory, its session's rlimits, as root its own
 *     uid/gid (rootless: no capabilities left), the parent-death signal, its
 *     scratch directory as working and temporary directory, rwarden's
 *     Landlock ruleset, rwarden's seccomp filter, every other descriptor
 *     closed, and a random seed of its own in the third argument; it has
 *     also sent the harness's ready message (the fifth argument, then its
 *     pid) on its result pipe, which R would otherwise build and send
 *     itself, touching (and so copying) more of the template's pages.
 * Any failure in a session process before it is confined ends it with
 * status 125 and a line on its console; it never returns to R.
 *
 * The session process is created with clone(CLONE_PARENT): its parent is
 * rwarden (the template's parent), which waits for it, learns its exit
 * status and CPU time, and is the parent whose death kills it. A raw clone
 * runs none of glibc's fork handlers; that is safe only in a process with
 * one thread (no other thread can hold a lock the child would inherit
 * locked), so the template checks it has exactly one before each fork.
 *
 * Messages on the control socket (SOCK_SEQPACKET, little-endian x86_64 in
 * both processes, the layout of the structs below):
 *   config  rwarden -> template, first: struct rw_config + BPF program
 *   fork    rwarden -> template: struct rw_req + 4 descriptors (SCM_RIGHTS):
 *           request pipe (read), result pipe (write), console (write),
 *           Landlock ruleset
 *   answer  template -> rwarden: struct rw_answer (pid or errno)
 * Everything here is written by rwarden and read by the template; the
 * template checks sizes anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RW_CONFIG_MAGIC 0x43465752u /* "RWFC" */
#define RW_REQ_MAGIC 0x31465752u    /* "RWF1" */
#define RW_ANSWER_MAGIC 0x41465752u /* "RWFA" */
#define RW_MAX_RLIMITS 16
#define RW_MAX_BPF_INSNS 4096
#define RW_FLAG_PRIVILEGED 1u
#define RW_FLAG_ROOTLESS 2u /* not root; own user namespace (rootless_linux.go) */
#define RW_NFDS 4
#define RW_FAILED 125
#define RW_READY 10      /* the harness's R_READY message type */
#define RW_MAX_READY 512 /* bytes of the ready text (R.version.string) */

struct rw_config {
	uint32_t magic;
	int32_t rwarden_pid; /* the session processes' parent after the double fork */
	uint32_t bpf_len;    /* bytes of BPF that follow: struct sock_filter[] */
	uint32_t pad;
};

struct rw_rlimit {
	uint32_t resource;
	uint32_t pad;
	uint64_t cur, max;
};

struct rw_req {
	uint32_t magic;
	uint32_t flags;
	uint32_t uid, gid;
	uint32_t nrlimits;
	uint32_t pad;
	uint64_t scratch_access; /* Landlock rights on the scratch directory */
	struct rw_rlimit rl[RW_MAX_RLIMITS];
	char scratch[1024];   /* NUL-terminated absolute path */
	char mount_opts[256]; /* tmpfs options, NUL-terminated (privileged) */
};

struct rw_answer {
	uint32_t magic;
	int32_t pid; /* > 0: the session process; else -errno */
};

/* RW_MAX_FD bounds the descriptors a template may hold (its RLIMIT_NOFILE
 * is 256). */
#define RW_MAX_FD 256
#define RW_MAX_VIEWS 8

static struct sock_filter *bpf;
static int *seed;        /* where .C wants the session's random seed */
static size_t seed_len;  /* in bytes */
static char ready_text[RW_MAX_READY]; /* first line of the ready message */

/* The harness's R connections on the template's fds 3 and 4. */
static struct view {
	int fd, target, flags;
} views[RW_MAX_VIEWS];
static int nviews;

static void die(const char *what, int err);

static int is_view(int fd)
{
	for (int i = 0; i < nviews; i++)
		if (views[i].fd == fd)
			return 1;
	return 0;
}

static int is_received(int fd, const int *fds)
{
	for (int i = 0; i < RW_NFDS; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}
static unsigned short bpf_insns;
static pid_t rwarden_pid;

/* R_TempDir is libR's session temporary directory (tempdir()). */
extern char *R_TempDir;

static void die(const char *what, int err)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "rwarden forked session: %s: %s\n", what, strerror(err));
	if (n > 0) {
		ssize_t w = write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
		(void)w;
	}
	_exit(RW_FAILED);
}

/* recv_msg reads one message and up to RW_NFDS descriptors; it returns the
 * message length, 0 at end of file, -1 on error. */
static ssize_t recv_msg(int sock, void *buf, size_t len, int *fds, int *nfds)
{
	union {
		char b[CMSG_SPACE(RW_NFDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, len};
	struct msghdr msg = {0};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof ctl.b;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*nfds = 0;
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (*nfds < RW_NFDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

static int send_answer(int sock, int32_t pid)
{
	struct rw_answer a = {RW_ANSWER_MAGIC, pid};
	ssize_t n;
	do
		n = send(sock, &a, sizeof a, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof a ? 0 : -1;
}

static int read_config(int sock)
{
	size_t max = sizeof(struct rw_config) + RW_MAX_BPF_INSNS * sizeof(struct sock_filter);
	unsigned char *buf = malloc(max);
	int fds[RW_NFDS], nfds;
	if (!buf)
		return -1;
	ssize_t n = recv_msg(sock, buf, max, fds, &nfds);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	struct rw_config c;
	if (n < (ssize_t)sizeof c || nfds != 0) {
		free(buf);
		return -1;
	}
	memcpy(&c, buf, sizeof c);
	if (c.magic != RW_CONFIG_MAGIC || c.rwarden_pid <= 1 || c.bpf_len == 0 ||
	    c.bpf_len % sizeof(struct sock_filter) != 0 ||
	    c.bpf_len > RW_MAX_BPF_INSNS * sizeof(struct sock_filter) ||
	    (size_t)n != sizeof c + c.bpf_len) {
		free(buf);
		return -1;
	}
	bpf = malloc(c.bpf_len);
	if (!bpf) {
		free(buf);
		return -1;
	}
	memcpy(bpf, buf + sizeof c, c.bpf_len);
	bpf_insns = (unsigned short)(c.bpf_len / sizeof(struct sock_filter));
	rwarden_pid = c.rwarden_pid;
	free(buf);
	return 0;
}

/* count_threads returns the number of threads of this process: the link
 * count of /proc/self/task is two plus that (one stat, where parsing
 * /proc/self/status cost more than the rest of a fork request). */
static int count_threads(void)
{
	struct stat st;
	if (stat("/proc/self/task", &st) < 0)
		return -1;
	if (st.st_nlink < 3) {
		errno = EIO;
		return -1;
	}
	return (int)st.st_nlink - 2;
}

static int valid_req(const struct rw_req *r)
{
	if (r->magic != RW_REQ_MAGIC || r->nrlimits > RW_MAX_RLIMITS)
		return 0;
	if (memchr(r->scratch, 0, sizeof r->scratch) == NULL || r->scratch[0] != '/')
		return 0;
	if (memchr(r->mount_opts, 0, sizeof r->mount_opts) == NULL)
		return 0;
	if (r->flags != 0 && r->flags != RW_FLAG_PRIVILEGED && r->flags != RW_FLAG_ROOTLESS)
		return 0;
	if ((r->flags & RW_FLAG_PRIVILEGED) && (r->uid == 0 || r->gid == 0))
		return 0;
	return 1;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = strlen(s);
	ssize_t w = write(fd, s, n);
	int e = errno;
	close(fd);
	if (w != (ssize_t)n) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

/* enter_userns puts a rootless session process in a user namespace of its
 * own that maps only its uid and gid (so it owns nothing more than before),
 * with its own mount and IPC namespaces. It holds every capability in that
 * namespace until drop_capabilities. */
static void enter_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC) < 0)
		die("unshare of user, mount and IPC namespaces", errno);
	if (write_file("/proc/self/setgroups", "deny") < 0)
		die("setgroups deny", errno);
	snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		die("uid_map", errno);
	snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		die("gid_map", errno);
}

/* drop_capabilities ends a rootless session process's capabilities in its
 * user namespace: bounding set (needs CAP_SETPCAP, so first), ambient,
 * then effective, permitted and inheritable; and checks none is left. Its
 * uid is not 0 there and no_new_privs holds, so no exec can give any back
 * (and its seccomp filter denies every exec path but execve of what
 * Landlock lets it execute). */
static void drop_capabilities(void)
{
	for (unsigned long c = 0; c < 64; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			die("dropping the capability bounding set", errno);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("clearing ambient capabilities", errno);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset", errno);
	if (syscall(SYS_capget, &hdr, data) < 0)
		die("capget", errno);
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			die("capabilities left", EPERM);
	for (unsigned long c = 0; c < 64; c++) {
		int v = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (v < 0)
			break;
		if (v != 0)
			die("bounding set left", EPERM);
	}
}

/* send_ready writes the harness's ready message on the result pipe (fd 4):
 * type and length as native int32 (the harness's framing), then the ready
 * text, a newline and this process's pid; what harness.R's
 * send(R_READY, ...) writes. The pipe is empty (rwarden reads nothing else
 * before it) and the message far below PIPE_BUF, so one write is whole. */
static void send_ready(void)
{
	char buf[8 + RW_MAX_READY + 16];
	int n = snprintf(buf + 8, sizeof buf - 8, "%s\n%d", ready_text, (int)getpid());
	if (n <= 0 || (size_t)n >= sizeof buf - 8)
		die("ready message", EOVERFLOW);
	int32_t h[2] = {RW_READY, n};
	memcpy(buf, h, sizeof h);
	ssize_t w;
	do
		w = write(4, buf, (size_t)n + 8);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)n + 8)
		die("sending the ready message", w < 0 ? errno : EIO);
}

/* confine runs in the session process, before any user code. */
static void confine(const struct rw_req *r, const int *fds)
{
	/* 1. Its own session and process group: rwarden's wall-clock kill of
	 * the group reaches it and nothing else. */
	if (setsid() < 0)
		die("setsid", errno);
	/* 2. Its parent is rwarden (CLONE_PARENT). */
	if (getppid() != rwarden_pid)
		die("parent is not rwarden", ESRCH);
	/* 3. Its own pipes on the worker's descriptor numbers, and the
	 * harness's views of the template's fds 3 and 4 (R connections opened
	 * on /dev/fd/3 and /dev/fd/4, on descriptors above 5) re-pointed at
	 * the same numbers of its own pipes, with their own open flags: R's
	 * connection objects stay valid, and reopening them in R would cost
	 * more than the rest of the fork. */
	for (int i = 0; i < RW_NFDS; i++)
		if (fds[i] <= 5)
			die("descriptor layout", EBADF);
	/* The views were found once in the template (find_views); none of
	 * them can be a descriptor received for this session. */
	for (int i = 0; i < nviews; i++)
		if (is_received(views[i].fd, fds))
			die("descriptor layout", EBADF);
	if (dup2(fds[2], 1) < 0 || dup2(fds[2], 2) < 0 || dup2(fds[0], 3) < 0 || dup2(fds[1], 4) < 0)
		die("dup2", errno);
	for (int i = 0; i < nviews; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", views[i].target);
		int nf = open(path, (views[i].flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC);
		if (nf < 0 || dup2(nf, views[i].fd) < 0)
			die("re-pointing the harness's channels", errno);
		close(nf);
	}
	/* 4. As root: a mount namespace of its own with a private tmpfs over
	 * the whole scratch root, so that the other sessions' and the
	 * template's scratch directories do not exist in its view (not even
	 * for stat), holding only its own scratch directory (the tmpfs size is
	 * its quota; it all vanishes with the process); and an IPC namespace
	 * of its own (no System V IPC shared with anyone). Rootless the same,
	 * in a user namespace of its own (capabilities dropped in step 6). */
	if (r->flags & RW_FLAG_ROOTLESS)
		enter_userns();
	else if ((r->flags & RW_FLAG_PRIVILEGED) && unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
		die("unshare", errno);
	if (r->flags & (RW_FLAG_PRIVILEGED | RW_FLAG_ROOTLESS)) {
		char root[sizeof r->scratch];
		memcpy(root, r->scratch, sizeof root);
		char *slash = strrchr(root, '/');
		if (!slash || slash == root)
			die("scratch directory has no parent", EINVAL);
		*slash = 0;
		if (mount("rwarden-scratch", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, r->mount_opts) < 0)
			die("mounting scratch tmpfs", errno);
		if (mkdir(r->scratch, 0700) < 0)
			die("creating scratch directory", errno);
		if ((r->flags & RW_FLAG_PRIVILEGED) && chown(r->scratch, r->uid, r->gid) < 0)
			die("handing scratch directory to the session's uid", errno);
	}
	/* 5. The session's resource limits. */
	for (uint32_t i = 0; i < r->nrlimits; i++) {
		struct rlimit rl = {r->rl[i].cur, r->rl[i].max};
		if (setrlimit((int)r->rl[i].resource, &rl) < 0)
			die("setrlimit", errno);
	}
	/* 6. Rootless: no capability left in its user namespace. As root: the
	 * session's own uid and gid, no supplementary groups; every capability
	 * goes with uid 0. */
	if (r->flags & RW_FLAG_ROOTLESS)
		drop_capabilities();
	if (r->flags & RW_FLAG_PRIVILEGED) {
		if (setgroups(0, NULL) < 0)
			die("setgroups", errno);
		if (setresgid(r->gid, r->gid, r->gid) < 0)
			die("setresgid", errno);
		if (setresuid(r->uid, r->uid, r->uid) < 0)
			die("setresuid", errno);
		uid_t ru, eu, su;
		if (getresuid(&ru, &eu, &su) < 0 || ru != r->uid || eu != r->uid || su != r->uid)
			die("credentials did not change", EPERM);
	}
	/* 7. Die with rwarden (armed after the credential change, which clears
	 * it), then make sure rwarden did not die in between. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die("parent-death signal", errno);
	if (getppid() != rwarden_pid)
		die("rwarden exited", ESRCH);
	/* 8. Its scratch directory as working, home and temporary directory. */
	if (chdir(r->scratch) < 0)
		die("entering scratch directory", errno);
	if (setenv("HOME", r->scratch, 1) < 0 || setenv("TMPDIR", r->scratch, 1) < 0)
		die("setenv", errno);
	char tmpl[1100];
	snprintf(tmpl, sizeof tmpl, "%s/RtmpXXXXXX", r->scratch);
	if (mkdtemp(tmpl) == NULL)
		die("creating the R temporary directory", errno);
	char *td = strdup(tmpl);
	if (!td || setenv("R_SESSION_TMPDIR", td, 1) < 0)
		die("setenv", ENOMEM);
	R_TempDir = td; /* the template's one is not this session's */
	/* 9. rwarden's Landlock ruleset: read-only R and system trees, its own
	 * scratch directory read-write, nothing else. A new layer on top of
	 * the template's. The scratch rule is added here, on the directory as
	 * this process sees it (as root, its own tmpfs). */
	struct landlock_path_beneath_attr pb = {.allowed_access = r->scratch_access};
	pb.parent_fd = open(r->scratch, O_PATH | O_CLOEXEC | O_DIRECTORY);
	if (pb.parent_fd < 0)
		die("opening scratch directory", errno);
	if (syscall(SYS_landlock_add_rule, fds[3], LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		die("Landlock rule for the scratch directory", errno);
	close(pb.parent_fd);
	if (syscall(SYS_landlock_restrict_self, fds[3], 0) < 0)
		die("Landlock", errno);
	/* 10. rwarden's seccomp filter (built with libseccomp from the cold
	 * worker's filter function): no process creation, sockets, exec by
	 * descriptor, namespaces, mounts... no_new_privs was set by the
	 * template's init and is inherited. */
	struct sock_fprog prog = {bpf_insns, bpf};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp", errno);
	/* 11. Every descriptor but 0-4 and the harness's views of 3 and 4:
	 * the control socket, the received originals, anything else the
	 * template had open. */
	int from = 5;
	for (int fd = 5; fd < RW_MAX_FD + 1; fd++) {
		if (fd < RW_MAX_FD && !is_view(fd))
			continue;
		if (fd > from && syscall(SYS_close_range, (unsigned)from, (unsigned)(fd - 1), 0u) < 0)
			die("closing descriptors", errno);
		from = fd + 1;
	}
	if (syscall(SYS_close_range, (unsigned)RW_MAX_FD, ~0u, 0u) < 0)
		die("closing descriptors", errno);
	/* 12. A random number state of its own from the kernel (R's
	 * .Random.seed is set from it by template.R). */
	for (size_t got = 0; got < seed_len;) {
		ssize_t n = getrandom((char *)seed + got, seed_len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("getrandom", errno);
		got += (size_t)n;
	}
	send_ready();
}

/* find_views records, once in the template, the harness's R connections
 * on /dev/fd/3 and /dev/fd/4 (descriptors above 5 open on the same pipes)
 * and their open flags. The template's descriptors do not change while it
 * serves forks (no R code runs in between), so every session process
 * re-points the same ones; scanning them in each session cost some 500
 * system calls. It returns -1 on failure. */
static int find_views(int ctl)
{
	struct stat st3, st4;
	if (fstat(3, &st3) < 0 || fstat(4, &st4) < 0)
		return -1;
	for (int fd = 6; fd < RW_MAX_FD; fd++) {
		struct stat st;
		if (fd == ctl)
			continue;
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
			continue;
		if (nviews == RW_MAX_VIEWS) {
			errno = EMFILE;
			return -1;
		}
		if (st.st_dev == st3.st_dev && st.st_ino == st3.st_ino)
			views[nviews++] = (struct view){fd, 3, flags};
		else if (st.st_dev == st4.st_dev && st.st_ino == st4.st_ino)
			views[nviews++] = (struct view){fd, 4, flags};
	}
	return 0;
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* collapse maps the 2 MiB-aligned part of [lo, hi) with huge pages where
 * the kernel can (MADV_COLLAPSE, Linux 6.1). A fork copies one page-table
 * entry per huge page instead of 512, and a session's exit unmaps as
 * many, for the pages the session never writes; one it writes to is split
 * in the session (its own copy of the 4 KiB page, as before). The
 * mapping is not marked for huge pages (no MADV_HUGEPAGE): memory the
 * sessions allocate later gets them only if the host gives every process
 * huge pages. Best effort: it changes nothing but the cost. */
static void collapse(unsigned long lo, unsigned long hi)
{
	const unsigned long huge = 2UL << 20;
	lo = (lo + huge - 1) & ~(huge - 1);
	hi &= ~(huge - 1);
	if (lo == 0 || hi <= lo)
		return;
	(void)madvise((void *)lo, hi - lo, MADV_COLLAPSE);
}

/* shed_dead_memory gives back, once in the template before it forks,
 * memory that holds nothing: malloc's free pages, and the stack below the
 * current frame (R's start-up recursed deeply once). Every page a template
 * has mapped is copied into each fork's page tables and unmapped again at
 * the session's exit; pages given back cost neither, and a session that
 * needs such memory again gets zeroed pages instead of copies. Failure
 * only costs that, so it is not an error. */
static void shed_dead_memory(void)
{
	malloc_trim(0);
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	char line[512];
	unsigned long lo = 0, hi = 0, hlo = 0, hhi = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "[heap]"))
			(void)sscanf(line, "%lx-%lx", &hlo, &hhi);
		else if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	}
	fclose(f);
	collapse(hlo, hhi);
	long page = sysconf(_SC_PAGESIZE);
	volatile char here;
	/* 64 KiB below this frame stay: what the calls from here use. */
	unsigned long sp = (unsigned long)&here;
	if (page <= 0 || lo == 0 || sp < lo || sp >= hi || sp - lo < 65536 + (unsigned long)page)
		return;
	unsigned long end = (sp - 65536) & ~((unsigned long)page - 1);
	(void)madvise((void *)lo, end - lo, MADV_DONTNEED);
}

/* ---- Freezing the template's reference counts ----
 *
 * R counts references on its objects (REFCNT) and updates the counts as it
 * runs: every call that matches an argument to a formal increments the
 * formal name's symbol, every promise its code, every string element its
 * CHARSXP. In a forked session each such write to an object of the
 * template copies the object's whole page (copy-on-write), and splits the
 * template's 2 MiB heap page it lies in: a session's `1+1` wrote some 270
 * heap pages, about half of them only for these counts. R does not write a
 * count that has reached its maximum (REFCNTMAX, "not mutable": R copies
 * such an object before any change, as it would one that is shared). So
 * the template marks every object it can reach, except environments (whose
 * counts R uses to free a call's frame early) and external pointers and
 * weak references (reference objects), as not mutable before it forks:
 * the sessions find these counts already at the maximum. R's value
 * semantics do not change; a session copies such an object before it
 * modifies it, as R would copy a shared one.
 *
 * These are R's public C API (Rinternals.h), declared here so that the
 * library builds without R's headers. */
typedef struct SEXPREC *SEXP;
typedef ptrdiff_t R_xlen_t;
extern SEXP R_NilValue, R_UnboundValue;
extern int TYPEOF(SEXP);
extern SEXP CAR(SEXP), CDR(SEXP), TAG(SEXP), ATTRIB(SEXP), ENCLOS(SEXP);
extern SEXP FORMALS(SEXP), BODY(SEXP), CLOENV(SEXP);
extern SEXP PRCODE(SEXP), PRVALUE(SEXP), PRENV(SEXP), PRINTNAME(SEXP);
extern SEXP VECTOR_ELT(SEXP, R_xlen_t), STRING_ELT(SEXP, R_xlen_t);
extern R_xlen_t XLENGTH(SEXP);
extern int ALTREP(SEXP);
extern SEXP R_altrep_data1(SEXP), R_altrep_data2(SEXP); /* R_ext/Altrep.h */
extern void MARK_NOT_MUTABLE(SEXP);
extern SEXP R_lsInternal3(SEXP, int, int);
extern int R_BindingIsActive(SEXP, SEXP);
extern SEXP Rf_findVarInFrame3(SEXP, SEXP, int);
extern SEXP Rf_install(const char *);
extern const char *R_CHAR(SEXP);
extern SEXP Rf_protect(SEXP);
extern void Rf_unprotect(int);
extern SEXP Rf_ScalarInteger(int);
extern void Rf_error(const char *, ...);

enum { SYM = 1, LIST = 2, CLO = 3, ENV = 4, PROM = 5, LANG = 6, CHARS = 9, STR = 16, DOT = 17,
       VEC = 19, EXPR = 20, BCODE = 21, EXTPTR = 22, WEAKREF = 23 };

/* seen is a set of object addresses (open addressing, grown at half
 * full): R's objects do not move, and the walk allocates only what it
 * protects (the names of an environment), so an address names one object
 * for the whole walk. */
static struct {
	uintptr_t *slot;
	size_t cap, n;
} seen;

static int seen_add(SEXP x)
{
	if (seen.n * 2 >= seen.cap) {
		size_t cap = seen.cap ? seen.cap * 2 : (size_t)1 << 20;
		uintptr_t *slot = calloc(cap, sizeof *slot);
		if (!slot)
			Rf_error("rwarden template: out of memory freezing reference counts");
		for (size_t i = 0; i < seen.cap; i++) {
			uintptr_t v = seen.slot[i];
			if (!v)
				continue;
			size_t h = (v >> 4) * 0x9E3779B97F4A7C15ull & (cap - 1);
			while (slot[h])
				h = (h + 1) & (cap - 1);
			slot[h] = v;
		}
		free(seen.slot);
		seen.slot = slot;
		seen.cap = cap;
	}
	uintptr_t v = (uintptr_t)x;
	size_t h = (v >> 4) * 0x9E3779B97F4A7C15ull & (seen.cap - 1);
	while (seen.slot[h]) {
		if (seen.slot[h] == v)
			return 0;
		h = (h + 1) & (seen.cap - 1);
	}
	seen.slot[h] = v;
	seen.n++;
	return 1;
}

/* The walk's work list (no recursion: R's objects nest deeply). */
static struct {
	SEXP *item;
	size_t cap, n;
} todo;

static void push(SEXP x)
{
	if (!x || x == R_NilValue || x == R_UnboundValue || !seen_add(x))
		return;
	if (todo.n == todo.cap) {
		size_t cap = todo.cap ? todo.cap * 2 : 65536;
		SEXP *item = realloc(todo.item, cap * sizeof *item);
		if (!item)
			Rf_error("rwarden template: out of memory freezing reference counts");
		todo.item = item;
		todo.cap = cap;
	}
	todo.item[todo.n++] = x;
}

/* push_frame pushes an environment's values (not the value of an active
 * binding: reading it would call its function; and not forcing promises)
 * and its names' symbols. */
static void push_frame(SEXP env)
{
	SEXP names = Rf_protect(R_lsInternal3(env, 1, 0));
	R_xlen_t n = XLENGTH(names);
	for (R_xlen_t i = 0; i < n; i++) {
		SEXP sym = Rf_install(R_CHAR(STRING_ELT(names, i)));
		push(sym);
		if (!R_BindingIsActive(sym, env))
			push(Rf_findVarInFrame3(env, sym, 1));
	}
	Rf_unprotect(1);
}

SEXP rwarden_template_freeze(SEXP roots)
{
	size_t marked = 0;
	push(roots);
	while (todo.n) {
		SEXP x = todo.item[--todo.n];
		int t = TYPEOF(x);
		push(ATTRIB(x));
		/* An ALTREP object: its two data fields, not its elements
		 * (reading those can expand it: a deferred string conversion,
		 * say); a wrapper's first one is the object it wraps. */
		if (ALTREP(x)) {
			push(R_altrep_data1(x));
			push(R_altrep_data2(x));
			t = -1;
		}
		switch (t) {
		case SYM:
			push(PRINTNAME(x));
			break;
		case LIST:
		case LANG:
		case DOT:
		case BCODE:
			push(CAR(x));
			push(CDR(x));
			push(TAG(x));
			break;
		case CLO:
			push(FORMALS(x));
			push(BODY(x));
			push(CLOENV(x));
			break;
		case ENV:
			push(ENCLOS(x));
			push_frame(x);
			break;
		case PROM:
			push(PRCODE(x));
			push(PRENV(x));
			push(PRVALUE(x));
			break;
		case STR:
			for (R_xlen_t i = 0, n = XLENGTH(x); i < n; i++)
				push(STRING_ELT(x, i));
			break;
		case VEC:
		case EXPR:
			for (R_xlen_t i = 0, n = XLENGTH(x); i < n; i++)
				push(VECTOR_ELT(x, i));
			break;
		}
		if (TYPEOF(x) != ENV && TYPEOF(x) != EXTPTR && TYPEOF(x) != WEAKREF) {
			MARK_NOT_MUTABLE(x);
			marked++;
		}
	}
	free(seen.slot);
	free(todo.item);
	seen.slot = NULL;
	todo.item = NULL;
	seen.cap = seen.n = todo.cap = todo.n = 0;
	return Rf_ScalarInteger(marked > 0x7fffffff ? 0x7fffffff : (int)marked);
}

/* rwarden_fork_abi_2 marks the protocol version above (and the entry
 * points template.R calls): template.R refuses a library without it (a
 * stale prebuilt one). */
void rwarden_fork_abi_2(void) {}

void rwarden_template_serve(int *ctl, int *role, int *seed_out, int *seed_n, char **ready)
{
	int sock = *ctl;
	*role = 0;
	if (*seed_n <= 0 || *seed_n > 1024) {
		fprintf(stderr, "rwarden template: bad seed length\n");
		return;
	}
	if (!ready || !*ready || strlen(*ready) >= sizeof ready_text || strchr(*ready, '\n')) {
		fprintf(stderr, "rwarden template: bad ready text\n");
		return;
	}
	strcpy(ready_text, *ready);
	seed = seed_out;
	seed_len = (size_t)*seed_n * sizeof(int);
	if (read_config(sock) < 0) {
		fprintf(stderr, "rwarden template: bad configuration message\n");
		return;
	}
	if (find_views(sock) < 0) {
		fprintf(stderr, "rwarden template: finding the harness's channels: %s\n", strerror(errno));
		return;
	}
	shed_dead_memory();
	for (;;) {
		struct rw_req req;
		int fds[RW_NFDS], nfds;
		ssize_t n = recv_msg(sock, &req, sizeof req, fds, &nfds);
		if (n == 0)
			return; /* rwarden closed the channel: the template ends */
		if (n < 0 && errno != EMSGSIZE)
			return;
		if (n != (ssize_t)sizeof req || nfds != RW_NFDS || !valid_req(&req)) {
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			if (send_answer(sock, -EINVAL) < 0)
				return;
			continue;
		}
		int32_t answer;
		int threads = count_threads();
		if (threads != 1) {
			answer = threads < 0 ? -errno : -EDEADLK;
		} else {
			/* Like fork(), but the child's parent is rwarden. */
			pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, 0UL);
			if (pid == 0) {
				confine(&req, fds);
				*role = 1;
				return;
			}
			answer = pid > 0 ? pid : -errno;
		}
		for (int i = 0; i < RW_NFDS; i++)
			close(fds[i]);
		if (send_answer(sock, answer) < 0)
			return;
	}
}
