package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Forked sessions (issue 12): what the session process really took, seen
// from outside (rwarden's view of /proc) and from inside (user code).

// procStatus reads fields of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// procStat returns fields 3.. of /proc/PID/stat (state, ppid, pgrp, session...).
func procStat(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

func forkedSession(t *testing.T, p *Pool, lim Limits) *Session {
	t.Helper()
	s := acquire(t, p, lim)
	require.True(t, s.w.forked, "the session was not forked from the template (forks are on by default)")
	return s
}

func templateOf(t *testing.T, p *Pool) *template {
	t.Helper()
	require.NotNil(t, p.l.fork, "forks are off")
	p.l.fork.mu.Lock()
	defer p.l.fork.mu.Unlock()
	tmpl := p.l.fork.ts[""] // the unrestricted sessions' template
	require.NotNil(t, tmpl, "no template runs")
	return tmpl
}

func TestForkedSessionConfinement(t *testing.T) {
	p := newTestPool(t, nil)
	lim := testLimits()
	lim.Memory = 1536 << 20
	lim.SessionCPU = 77 * time.Second
	s := forkedSession(t, p, lim)
	res := eval(t, s, "1+1")
	require.Equal(t, "[1] 2\n", string(res.Output))
	tmpl := templateOf(t, p)
	pid := s.w.pid

	st := procStat(t, pid)
	assert.Equal(t, strconv.Itoa(os.Getpid()), st[1], "the session process is rwarden's child")
	assert.Equal(t, strconv.Itoa(pid), st[2], "its own process group")
	assert.Equal(t, strconv.Itoa(pid), st[3], "its own session")

	// Its descriptors: 0-4, and the harness's own views of 3 and 4 (R
	// opens /dev/fd/3 twice and /dev/fd/4 once, as in a cold worker).
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	link := func(fd string) string {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd))
		require.NoError(t, err)
		return l
	}
	req, result := link("3"), link("4")
	assert.True(t, strings.HasPrefix(req, "pipe:") && strings.HasPrefix(result, "pipe:"), "%s %s", req, result)
	var names []string
	for _, e := range fds {
		names = append(names, e.Name())
		if n, _ := strconv.Atoi(e.Name()); n > 4 {
			assert.Contains(t, []string{req, result}, link(e.Name()), "descriptor %s is not one of its pipes", e.Name())
		}
	}
	assert.Subset(t, names, []string{"0", "1", "2", "3", "4"})
	assert.LessOrEqual(t, len(names), 8)

	status := procStatus(t, pid)
	assert.Equal(t, "1", status["NoNewPrivs"])
	assert.Equal(t, "2", status["Seccomp"], "seccomp filter mode")
	assert.Equal(t, "2", status["Seccomp_filters"], "the template's filter and its own")
	tstatus := procStatus(t, tmpl.w.pid)
	assert.Equal(t, "1", tstatus["Seccomp_filters"])

	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	require.NoError(t, err)
	assert.Regexp(t, `Max address space\s+1610612736\s+1610612736`, string(limits))
	assert.Regexp(t, `Max cpu time\s+77\s+78`, string(limits))
	assert.Regexp(t, `Max core file size\s+0\s+0`, string(limits))

	if os.Geteuid() == 0 {
		uid := strings.Fields(status["Uid"])
		assert.NotEqual(t, "0", uid[0])
		assert.Equal(t, []string{uid[0], uid[0], uid[0], uid[0]}, uid)
		assert.Equal(t, "0000000000000000", status["CapEff"])
		assert.Equal(t, "0000000000000000", status["CapPrm"])
		assert.Equal(t, "0", strings.Fields(procStatus(t, tmpl.w.pid)["Uid"])[0], "the template stays root")
		// ... with only the capabilities its session processes use before
		// they drop to their uids.
		caps := fmt.Sprintf("%016x", templateCapabilityMask())
		for _, set := range []string{"CapEff", "CapPrm", "CapBnd"} {
			assert.Equal(t, caps, tstatus[set], "the template's %s", set)
		}
		assert.Equal(t, "0000000000000000", tstatus["CapAmb"])
		assert.Equal(t, caps, status["CapBnd"], "a session's bounding set is the template's")
		for _, ns := range []string{"mnt", "ipc"} {
			mine, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
			require.NoError(t, err)
			theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", tmpl.w.pid, ns))
			require.NoError(t, err)
			host, err := os.Readlink("/proc/self/ns/" + ns)
			require.NoError(t, err)
			assert.NotEqual(t, theirs, mine, "%s namespace of its own", ns)
			assert.NotEqual(t, host, mine)
		}
		// The template itself: its own network and IPC namespaces, and the
		// minimal view (rwarden's binary and the host's files are not in
		// its world, so not in its sessions').
		for _, ns := range []string{"net", "ipc", "mnt"} {
			theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", tmpl.w.pid, ns))
			require.NoError(t, err)
			host, err := os.Readlink("/proc/self/ns/" + ns)
			require.NoError(t, err)
			assert.NotEqual(t, host, theirs, "the template's own %s namespace", ns)
		}
		exe, err := os.Executable()
		require.NoError(t, err)
		for _, path := range []string{exe, "/etc/passwd", "/root"} {
			_, err = os.Lstat(fmt.Sprintf("/proc/%d/root%s", tmpl.w.pid, path))
			assert.True(t, os.IsNotExist(err), "%s is in the template's view", path)
		}
		mounts, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
		require.NoError(t, err)
		assert.Regexp(t, " "+regexp.QuoteMeta(p.cfg.ScratchRoot)+" .* tmpfs rwarden-scratch .*mode=711", string(mounts),
			"its own tmpfs over the scratch root")
	} else if p.l.rootless {
		rootlessSessionConfinement(t, p, pid, tmpl.w.pid)
	}

	// From inside: its scratch is its working and temporary directory, and
	// the only place it can write.
	res = eval(t, s, `writeLines("x", "f"); cat(getwd(), dirname(tempdir()), Sys.getenv("HOME"), file.exists("f"), sep = "\n")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	assert.Equal(t, fmt.Sprintf("%s\n%s\n%s\nTRUE\n", s.w.scratch, s.w.scratch, s.w.scratch), string(res.Output))
	res = eval(t, s, fmt.Sprintf(`file.create(%q)`, filepath.Join(p.cfg.ScratchRoot, "outside")))
	assert.Contains(t, string(res.Output), "FALSE")
	assert.NoFileExists(t, filepath.Join(p.cfg.ScratchRoot, "outside"))
	// No processes.
	res = eval(t, s, `inherits(try(parallel::mcparallel(1), silent = TRUE), "try-error")`)
	assert.Equal(t, "[1] TRUE\n", string(res.Output))
}

// rootlessSessionConfinement checks, without root where the host allows
// unprivileged user namespaces, what a forked session took beyond the
// cold worker's confinement: no capability in any set (it held all of them
// in its own user namespace while it mounted its scratch tmpfs), a user
// namespace of its own mapping only rwarden's uid, its own mount and IPC
// namespaces, and its own tmpfs over the scratch root; and that the
// template is in its own user, mount, IPC and network namespaces with the
// minimal view and no capabilities either.
func rootlessSessionConfinement(t *testing.T, p *Pool, pid, tmplPID int) {
	t.Helper()
	status, tstatus := procStatus(t, pid), procStatus(t, tmplPID)
	me := strconv.Itoa(os.Geteuid())
	assert.Equal(t, []string{me, me, me, me}, strings.Fields(status["Uid"]), "rwarden's uid, mapped to itself")
	for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		assert.Equal(t, "0000000000000000", status[set], "the session's %s", set)
	}
	for _, set := range []string{"CapPrm", "CapEff", "CapAmb"} {
		assert.Equal(t, "0000000000000000", tstatus[set], "the template's %s", set)
	}
	uidMap, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid))
	require.NoError(t, err)
	assert.Equal(t, []string{me, me, "1"}, strings.Fields(string(uidMap)), "only its own uid is mapped")
	nsOf := func(pid int, ns string) string {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		require.NoError(t, err)
		return l
	}
	for _, ns := range []string{"user", "mnt", "ipc", "net"} {
		host, err := os.Readlink("/proc/self/ns/" + ns)
		require.NoError(t, err)
		assert.NotEqual(t, host, nsOf(tmplPID, ns), "the template's own %s namespace", ns)
		assert.NotEqual(t, host, nsOf(pid, ns), "the session's %s namespace is not the host's", ns)
		if ns == "net" {
			assert.Equal(t, nsOf(tmplPID, ns), nsOf(pid, ns), "the session shares the template's (empty) network namespace")
		} else {
			assert.NotEqual(t, nsOf(tmplPID, ns), nsOf(pid, ns), "the session's own %s namespace", ns)
		}
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	for _, path := range []string{exe, "/etc/passwd", "/root"} {
		_, err = os.Lstat(fmt.Sprintf("/proc/%d/root%s", tmplPID, path))
		assert.True(t, os.IsNotExist(err), "%s is in the template's view", path)
	}
	mounts, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	require.NoError(t, err)
	assert.Regexp(t, " "+regexp.QuoteMeta(p.cfg.ScratchRoot)+" .*noexec.* tmpfs rwarden-scratch .*mode=700", string(mounts),
		"its own noexec tmpfs over the scratch root")
}

// Two concurrent forked sessions cannot reach each other or the template.
func TestForkedSessionsIsolated(t *testing.T) {
	p := newTestPool(t, nil)
	a := forkedSession(t, p, testLimits())
	b := forkedSession(t, p, testLimits())
	tmpl := templateOf(t, p)
	res := eval(t, a, `writeLines("SECRET-A-91", "secret.txt"); cat(getwd(), Sys.getpid(), sep = "\n")`)
	require.Equal(t, StatusOK, res.Status, res.Error)
	lines := strings.Split(strings.TrimSpace(string(res.Output)), "\n")
	require.Len(t, lines, 2)
	dirA, pidA := lines[0], lines[1]
	require.Equal(t, strconv.Itoa(a.w.pid), pidA)
	if p.l.rootless {
		// Each in a user namespace of its own: neither holds a capability
		// over the other's namespaces.
		for _, ns := range []string{"user", "mnt", "ipc"} {
			la, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", a.w.pid, ns))
			require.NoError(t, err)
			lb, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", b.w.pid, ns))
			require.NoError(t, err)
			assert.NotEqual(t, la, lb, "two sessions share a %s namespace", ns)
		}
	}

	// A canary in the template's scratch directory, as the template sees it.
	tmplCanary := filepath.Join(tmpl.w.scratch, "template-canary.txt")
	require.NoError(t, os.WriteFile(fmt.Sprintf("/proc/%d/root%s", tmpl.w.pid, tmplCanary), []byte("TEMPLATE-CANARY-5\n"), 0o644))

	privileged := os.Geteuid() == 0
	for _, tc := range []struct {
		name, code, marker string
		rootOnly           bool // without root or user namespaces, stat() of a known path is not confined (docs/sandbox.md)
	}{
		{"read sibling file", fmt.Sprintf(`readLines(%q)`, filepath.Join(dirA, "secret.txt")), "SECRET-A-91", false},
		{"list sibling scratch", fmt.Sprintf(`list.files(%q, all.files = TRUE)`, dirA), "secret.txt", false},
		{"stat sibling file", fmt.Sprintf(`cat(if (file.exists(%q)) "EXISTS-YES" else "no")`, filepath.Join(dirA, "secret.txt")), "EXISTS-YES", true},
		{"stat sibling scratch", fmt.Sprintf(`cat(if (isTRUE(file.info(%q)$isdir)) "ISDIR-YES" else "no")`, dirA), "ISDIR-YES", true},
		{"sibling environ", fmt.Sprintf(`readLines("/proc/%s/environ")`, pidA), "R_HOME", false},
		{"sibling status", fmt.Sprintf(`readLines("/proc/%s/status")`, pidA), "Name", false},
		{"sibling memory", fmt.Sprintf(`readBin("/proc/%s/mem", "raw", 16)`, pidA), "[1]", false},
		{"list sibling /proc", fmt.Sprintf(`list.files("/proc/%s")`, pidA), "environ", false},
		{"list /proc", `cat(length(list.files("/proc")) > 0)`, "TRUE", false},
		{"read template file", fmt.Sprintf(`readLines(%q)`, tmplCanary), "TEMPLATE-CANARY-5", false},
		{"stat template file", fmt.Sprintf(`cat(if (file.exists(%q)) "EXISTS-YES" else "no")`, tmplCanary), "EXISTS-YES", true},
		{"template environ", fmt.Sprintf(`readLines("/proc/%d/environ")`, tmpl.w.pid), "R_HOME", false},
		{"template memory", fmt.Sprintf(`readBin("/proc/%d/mem", "raw", 16)`, tmpl.w.pid), "[1]", false},
		{"template descriptors", fmt.Sprintf(`list.files("/proc/%d/fd")`, tmpl.w.pid), "\"5\"", false},
		{"own descriptors", `cat(sort(as.integer(list.files("/proc/self/fd"))), sep = ",")`, "5", false},
		{"signal sibling", fmt.Sprintf(`cat(if (isTRUE(tools::pskill(%s, tools::SIGKILL))) "SENT-YES" else "no")`, pidA), "SENT-YES", false},
		{"signal template", fmt.Sprintf(`cat(if (isTRUE(tools::pskill(%d, tools::SIGKILL))) "SENT-YES" else "no")`, tmpl.w.pid), "SENT-YES", false},
		{"signal sibling group", fmt.Sprintf(`cat(if (isTRUE(tools::pskill(-%s, tools::SIGKILL))) "SENT-YES" else "no")`, pidA), "SENT-YES", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rootOnly && !privileged && !p.l.rootless {
				t.Skip("unprivileged without user namespaces: no mount namespace hides the path")
			}
			res := eval(t, b, tc.code)
			assert.NotContains(t, string(res.Output), tc.marker, tc.code)
			assert.NotContains(t, res.Error, tc.marker, tc.code)
		})
	}
	res = eval(t, a, `readLines("secret.txt")`)
	assert.Equal(t, "[1] \"SECRET-A-91\"\n", string(res.Output), "session A survived B's attempts")
	assert.True(t, tmpl.w.alive(), "the template survived")
	// A is gone with its files once it ends.
	a.Close()
	assert.NoDirExists(t, dirA)
	_, err := os.Stat(fmt.Sprintf("/proc/%s", pidA))
	assert.True(t, os.IsNotExist(err), "session A's process is gone")
}

// No two forked sessions share a random number state.
func TestForkedSessionsRandomState(t *testing.T) {
	p := newTestPool(t, nil)
	seen := map[string]bool{}
	seeds := map[string]bool{}
	for i := 0; i < 4; i++ {
		s := forkedSession(t, p, testLimits())
		res := eval(t, s, `cat(digest <- paste(.Random.seed[3:8], collapse = ","), "\n", sprintf("%.17g", runif(1)), sep = "")`)
		require.Equal(t, StatusOK, res.Status, res.Error)
		parts := strings.Split(string(res.Output), "\n")
		require.Len(t, parts, 2)
		assert.False(t, seeds[parts[0]], ".Random.seed repeated: %s", parts[0])
		assert.False(t, seen[parts[1]], "runif(1) repeated: %s", parts[1])
		seeds[parts[0]], seen[parts[1]] = true, true
		s.Close()
	}
}

// The wall-clock limit kills a forked session's whole process group, and
// the process is reaped.
func TestForkedSessionWallClockKill(t *testing.T) {
	p := newTestPool(t, nil)
	lim := testLimits()
	lim.Wall = time.Second
	s := forkedSession(t, p, lim)
	pid := s.w.pid
	start := time.Now()
	res, err := s.Eval(context.Background(), "Sys.sleep(1e6)", EvalOptions{}, nil)
	require.NoError(t, err)
	assert.Equal(t, StatusTimeout, res.Status)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Equal(t, syscall.SIGKILL, s.w.exitSignal())
	_, err = os.Stat(fmt.Sprintf("/proc/%d", pid))
	assert.True(t, os.IsNotExist(err), "the session process was killed and reaped")
}

// When the template dies, the sessions it forked live on and the next
// session gets a new template.
func TestTemplateRestarts(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0 })
	s := forkedSession(t, p, testLimits())
	old := templateOf(t, p)
	old.w.kill("test")
	<-old.w.done
	res := eval(t, s, "1+1")
	assert.Equal(t, "[1] 2\n", string(res.Output), "a session outlives its template")
	s2 := forkedSession(t, p, testLimits())
	assert.Equal(t, "[1] 2\n", string(eval(t, s2, "1+1").Output))
	assert.NotEqual(t, old.w.pid, templateOf(t, p).w.pid)
	assert.Equal(t, uint64(2), p.l.fork.templateStarts.Load())
	assert.Equal(t, 1, p.Stats().Templates)

	// What the template was built from changed (as when R or a package is
	// upgraded): the next fork replaces it.
	second := templateOf(t, p)
	p.l.fork.mu.Lock()
	second.stamp, second.checked = "R before the upgrade", time.Time{}
	p.l.fork.mu.Unlock()
	s3 := forkedSession(t, p, testLimits())
	assert.Equal(t, "[1] 2\n", string(eval(t, s3, "1+1").Output))
	assert.NotEqual(t, second.w.pid, templateOf(t, p).w.pid)
	assert.Equal(t, uint64(3), p.l.fork.templateStarts.Load())
	assert.False(t, second.w.alive(), "the outdated template was stopped")
}

func TestForkRequestLayout(t *testing.T) {
	b, err := encodeForkRequest(ctlPrivileged, 61000, 61000, []rlimitSpec{{"RLIMIT_AS", 9, 5, 6}}, "/s/w-1", "size=1", 7)
	require.NoError(t, err)
	assert.Len(t, b, ctlReqLen)
	_, err = encodeForkRequest(ctlPrivileged, 1, 1, nil, "relative", "", 0)
	assert.Error(t, err)
	_, err = encodeForkRequest(ctlPrivileged, 1, 1, nil, "/"+strings.Repeat("a", ctlScratchLen), "", 0)
	assert.Error(t, err)
	_, err = encodeForkRequest(ctlPrivileged, 1, 1, make([]rlimitSpec, ctlMaxRlimits+1), "/s", "", 0)
	assert.Error(t, err)
	_, err = encodeForkRequest(ctlPrivileged|ctlRootless, 1, 1, nil, "/s", "", 0)
	assert.Error(t, err, "privileged and rootless exclude each other")
	b, err = encodeForkRequest(ctlRootless, 1, 1, nil, "/s", "size=1", 0)
	require.NoError(t, err)
	assert.Equal(t, byte(ctlRootless), b[4])
}

// A template asked to be rootless whose user namespace is not there does
// not start (its sessions would expect the view and namespaces). As root
// the constructor never sets one up, so the init must refuse.
func TestRootlessTemplateWithoutNamespaceRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("without root the constructor sets the namespace up where the host allows it")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	spec, err := json.Marshal(initSpec{RBinary: "/bin/true", Parent: os.Getpid(), Scratch: t.TempDir(), Template: true, Rootless: true})
	require.NoError(t, err)
	out, err := exec.Command(exe, InitCommand, string(spec)).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	assert.Equal(t, InitFailedStatus, exit.ExitCode())
	assert.Contains(t, string(out), "the rootless template has no user namespace of its own: not set up")
}

// A session with an allowlist is forked from a template bound to that
// allowlist (one template per allowlist, bound once): it is restricted
// exactly as a session bound on its own, what one session defines reaches
// no other, sessions of another allowlist get their own template, and the
// least recently used template goes when maxTemplates run.
func TestForkedAllowlistTemplates(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	common := []string{"base::{", "base::<-", "base::sum", "base::exists", "base::cat"}
	allowA := &Allowlist{Functions: append([]string{"base::nchar"}, common...)}
	allowB := &Allowlist{Functions: append([]string{"base::toupper"}, common...)}
	open := func(a *Allowlist) *Session {
		s, err := p.Acquire(ctx, Binding{User: "t", Limits: testLimits(), Allowlist: a})
		require.NoError(t, err)
		t.Cleanup(s.Close)
		require.True(t, s.w.forked, "the session was not forked")
		return s
	}
	a1 := open(allowA)
	res := eval(t, a1, `x <- "SECRET-9"; sum(1, 2)`)
	require.Equal(t, "[1] 3\n", string(res.Output), res.Error)
	assert.Equal(t, "[1] 8\n", string(eval(t, a1, `nchar(x)`).Output))
	assert.Contains(t, eval(t, a1, `toupper(x)`).Error, `could not find function "toupper"`)
	assert.Contains(t, eval(t, a1, `system("id")`).Error, `could not find function "system"`)
	assert.Contains(t, eval(t, a1, `base::system("id")`).Error, "not allowed: base::system")

	a2 := open(allowA)
	assert.Equal(t, "FALSE", string(eval(t, a2, `cat(exists("x"))`).Output), "a sibling's variable")
	b1 := open(allowB)
	assert.Equal(t, "[1] \"A\"\n", string(eval(t, b1, `toupper("a")`).Output))
	assert.Contains(t, eval(t, b1, `nchar("a")`).Error, `could not find function "nchar"`)
	a2.Close()
	b1.Close()

	p.l.fork.mu.Lock()
	_, hashA, _ := allowA.encoded()
	_, hashB, _ := allowB.encoded()
	ta, tb := p.l.fork.ts[hashA], p.l.fork.ts[hashB]
	p.l.fork.mu.Unlock()
	require.NotNil(t, ta, "no template for allowlist A")
	require.NotNil(t, tb, "no template for allowlist B")
	assert.NotEqual(t, ta.w.pid, tb.w.pid)
	assert.Equal(t, 2, p.Stats().Templates)

	// More busy allowlists than maxTemplates: the next one's sessions
	// fork from the unrestricted template and bind on their own, as
	// restricted as the others.
	for i := 0; i < maxTemplates-2; i++ {
		open(&Allowlist{Functions: append([]string{fmt.Sprintf("base::nchar%d", i)}, common...)}).Close()
	}
	assert.Equal(t, maxTemplates, p.Stats().Templates)
	over := open(&Allowlist{Functions: append([]string{"base::abs"}, common...)})
	assert.True(t, over.w.bound, "bound in the session")
	assert.Equal(t, "[1] 2\n", string(eval(t, over, `abs(2L)`).Output))
	assert.Contains(t, eval(t, over, `nchar("a")`).Error, `could not find function "nchar"`)
	assert.Contains(t, eval(t, over, `system("id")`).Error, `could not find function "system"`)
	assert.Equal(t, maxTemplates+1, p.Stats().Templates, "bound templates and the unrestricted one")
	over.Close()

	// Once A's template was idle for templateKeep, a new allowlist
	// replaces it; A's sessions live on.
	p.l.fork.mu.Lock()
	ta.used = time.Now().Add(-2 * templateKeep)
	p.l.fork.mu.Unlock()
	open(&Allowlist{Functions: append([]string{"base::abs"}, common...)}).Close()
	assert.Eventually(t, func() bool { return !ta.w.alive() }, 10*time.Second, 50*time.Millisecond,
		"the least recently used template was stopped")
	assert.Equal(t, "[1] 8\n", string(eval(t, a1, `nchar(x)`).Output), "a session outlives its template")
}

// The template freezes the reference counts of what it can reach (the
// fork library's rwarden_template_freeze): a session finds them at R's
// maximum, so it does not write them (each write copied a page of the
// template), and R's copy-on-modify still holds for those objects.
func TestForkedSessionFrozenRefcounts(t *testing.T) {
	p := newTestPool(t, nil)
	s := forkedSession(t, p, testLimits())
	defer s.Close()
	for _, tc := range []struct {
		name, code, want string
	}{
		{"a symbol of base", `cat(grepl("REF(65535)", capture.output(.Internal(inspect(as.name("function"))))[1], fixed = TRUE))`, "TRUE"},
		{"a base closure", `cat(grepl("REF(65535)", capture.output(.Internal(inspect(base::paste)))[1], fixed = TRUE))`, "TRUE"},
		{"copy on modify of a template vector", `x <- LETTERS; x[1] <- "z"; cat(x[1], LETTERS[1])`, "z A"},
		{"copy on modify inside a call", `f <- function(v) { v[1] <- 0L; v }; y <- c(5L, 6L); cat(f(y)[1], y[1])`, "0 5"},
		{"a new object is not frozen", `v <- c(1, 2); v[2] <- 3; cat(grepl("REF(65535)", capture.output(.Internal(inspect(v)))[1], fixed = TRUE), v)`, "FALSE 1 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := eval(t, s, tc.code)
			require.Equal(t, StatusOK, res.Status, res.Error)
			assert.Equal(t, tc.want, string(res.Output))
		})
	}
}
