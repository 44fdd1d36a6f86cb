package sandbox

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Forked sessions (docs/sandbox.md, "Forked sessions"). A fork template is
// an R process started like a cold worker (the re-exec init) but with a
// confinement that still permits fork, that loads and prepares the harness
// and then serves fork requests from rwarden on a control socket through
// the fork library (forklib/rwarden_fork.c). Each session process is forked
// from it and confines itself before it runs anything: the steps are in
// the library, the material (its Landlock ruleset, seccomp BPF, uid,
// rlimits, pipes) comes from rwarden. A template never runs user code.

//go:embed template.R
var templateR []byte

// harnessServeLine is the harness's final call; the template code takes
// its place (inside the harness's outer local(), where .rwarden is bound).
const harnessServeLine = ".rwarden$serve()\n"

// templateHarness is the harness text of a template. The template loads
// the fork library from its descriptor (templateLibFD). A template for an
// allowlist (bind) reads one bind request before it forks (template.R).
func templateHarness(harness []byte, bind bool) ([]byte, error) {
	if bytes.Count(harness, []byte(harnessServeLine)) != 1 {
		return nil, errors.New("sandbox: the harness does not end its set-up with exactly one .rwarden$serve()")
	}
	lib := "/proc/self/fd/" + strconv.Itoa(templateLibFD)
	code := bytes.Replace(templateR, []byte("@FORKLIB@"), []byte(lib), 1)
	code = bytes.Replace(code, []byte("@BIND@"), []byte(map[bool]string{false: "FALSE", true: "TRUE"}[bind]), 1)
	code = bytes.Replace(code, []byte("@CTLFD@"), []byte(strconv.Itoa(templateCtlFD)), 1)
	return bytes.Replace(harness, []byte(harnessServeLine), code, 1), nil
}

// templateRlimits are the template's own limits: the largest a session
// may have (a session process lowers them to its own), no CPU limit (the
// template lives long; each session process starts at zero CPU time).
func templateRlimits(cfg Config) []rlimitSpec {
	mem := uint64(cfg.MaxLimits.Memory)
	fsize := uint64(cfg.ScratchBytes)
	return []rlimitSpec{
		{"RLIMIT_AS", unix.RLIMIT_AS, mem, mem},
		{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE, fsize, fsize},
		{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE, workerOpenFiles, workerOpenFiles},
		{"RLIMIT_CORE", unix.RLIMIT_CORE, 0, 0},
		{"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK, 0, 0},
	}
}

// errTemplateUnavailable: no template runs and none could be started; the
// launcher starts the worker cold.
var errTemplateUnavailable = errors.New("fork template unavailable")

// The control protocol; the layouts match the structs in rwarden_fork.c.
const (
	ctlConfigMagic = 0x43465752
	ctlReqMagic    = 0x31465752
	ctlAnswerMagic = 0x41465752
	ctlMaxRlimits  = 16
	ctlScratchLen  = 1024
	ctlMountLen    = 256
	ctlReqLen      = 32 + ctlMaxRlimits*24 + ctlScratchLen + ctlMountLen
	ctlAnswerLen   = 8
	ctlPrivileged  = 1 // RW_FLAG_PRIVILEGED
	ctlRootless    = 2 // RW_FLAG_ROOTLESS
)

// encodeForkRequest lays out a struct rw_req.
func encodeForkRequest(flags uint32, uid, gid int, rl []rlimitSpec, scratch, mountOpts string, scratchAccess uint64) ([]byte, error) {
	if len(rl) > ctlMaxRlimits {
		return nil, fmt.Errorf("%d rlimits exceed the fork request's %d", len(rl), ctlMaxRlimits)
	}
	if len(scratch) >= ctlScratchLen || len(mountOpts) >= ctlMountLen ||
		bytes.IndexByte([]byte(scratch+mountOpts), 0) >= 0 || !filepath.IsAbs(scratch) {
		return nil, fmt.Errorf("scratch path %q or mount options do not fit the fork request", scratch)
	}
	b := make([]byte, ctlReqLen)
	le := binary.LittleEndian
	le.PutUint32(b[0:], ctlReqMagic)
	if flags&^(ctlPrivileged|ctlRootless) != 0 || flags == ctlPrivileged|ctlRootless {
		return nil, fmt.Errorf("fork request flags %#x", flags)
	}
	le.PutUint32(b[4:], flags)
	le.PutUint32(b[8:], uint32(uid))
	le.PutUint32(b[12:], uint32(gid))
	le.PutUint32(b[16:], uint32(len(rl)))
	le.PutUint64(b[24:], scratchAccess)
	for i, l := range rl {
		o := 32 + i*24
		le.PutUint32(b[o:], uint32(l.Resource))
		le.PutUint64(b[o+8:], l.Cur)
		le.PutUint64(b[o+16:], l.Max)
	}
	o := 32 + ctlMaxRlimits*24
	copy(b[o:], scratch)
	copy(b[o+ctlScratchLen:], mountOpts)
	return b, nil
}

// forkAnswerTimeout is how long a template may sit still (neither running
// nor waiting for a CPU) before its answer to a fork request; a variable
// for the tests. See forkFrom.
var forkAnswerTimeout = 5 * time.Second

// templateCheckInterval is how often the template's inputs (R binary, its
// libraries, the fork library) are checked for changes.
const templateCheckInterval = 2 * time.Second

// template is one running template process and its control channel.
type template struct {
	w       *worker
	ctl     *net.UnixConn
	allow   string // the allowlist hash it is bound to (profile.Allow); "": none
	stamp   string // the inputs' state when it started (inputsStamp)
	checked time.Time
	used    time.Time   // last fork (least recently used goes first)
	fresh   memEstimate // memory of a fork not sent any request yet
}

// maxTemplates bounds the templates bound to an allowlist that run at once
// (each some 60 MB, mostly shared with its sessions); the unrestricted
// template comes on top. The least recently used one is replaced, but only
// when it was idle for templateKeep: while more allowlists than that are
// busy, the sessions of the others fork from the unrestricted template and
// bind in the session (slower), rather than templates replacing each other
// at every start.
const (
	maxTemplates = 4
	templateKeep = time.Minute
)

// forkServer keeps the pool's templates, one per allowlist (the bind is
// done once in the template, not in every session: binding a broad
// allowlist costs some 30 ms of CPU), and forks session processes from
// them, one at a time.
type forkServer struct {
	l   *launcher
	lib string
	bpf []byte

	mu       sync.Mutex
	ts       map[string]*template // by allowlist hash
	retryAt  time.Time            // after a failed template start
	failures int
	closed   bool

	forks, forkFailures, templateStarts atomic.Uint64

	// spec is the session processes' Landlock paths (landlockFor without
	// a scratch directory, which each adds itself), resolved once and
	// again whenever a template (re)starts, e.g. because R or its
	// packages changed: resolving them (symlinks, stat of some twenty
	// paths) cost about a tenth of rwarden's CPU per forked session.
	spec *landlockSpec
}

// sessionSpec returns the session processes' Landlock paths.
func (fs *forkServer) sessionSpec() landlockSpec {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.spec == nil {
		l := fs.l
		spec := landlockFor(l.layout, l.cfg.rBinary(), l.loader, l.cfg.ScratchRoot)
		spec.WriteDirs, spec.ViewLinks = nil, nil
		fs.spec = &spec
	}
	return *fs.spec
}

// newForkServer prepares forks for l, or returns nil with the reason when
// this host cannot have them.
func newForkServer(l *launcher) (*forkServer, error) {
	if l.cfg.Insecure {
		return nil, errors.New("insecure mode starts unconfined workers only")
	}
	lib, err := forkLibrary(l.cfg)
	if err != nil {
		return nil, err
	}
	bpf, err := sessionSeccompBPF()
	if err != nil {
		return nil, err
	}
	return &forkServer{l: l, lib: lib, bpf: bpf, ts: map[string]*template{}}, nil
}

// inputsStamp describes what a template was built from: when one changes
// (R or a package upgraded, a new fork library), the template is replaced.
func (fs *forkServer) inputsStamp() string {
	var b bytes.Buffer
	for _, p := range []string{fs.l.cfg.rBinary(), fs.lib,
		filepath.Join(fs.l.layout.Home, "library"), filepath.Join(fs.l.layout.Home, "site-library"),
		"/usr/lib/R/site-library", "/usr/local/lib/R/site-library"} {
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", p, st.ModTime().UnixNano(), st.Size())
		}
	}
	return b.String()
}

// get returns a running, current template bound to bp, starting one when
// needed, or the unrestricted template when every template place is taken
// by a busy one (see maxTemplates).
func (fs *forkServer) get(ctx context.Context, bp bindProfile) (*template, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return nil, errTemplateUnavailable
	}
	key := bp.prof.Allow
	if fs.ts[key] == nil && key != "" {
		var lru *template
		bound := 0
		for k, t := range fs.ts {
			if k != "" {
				bound++
				if lru == nil || t.used.Before(lru.used) {
					lru = t
				}
			}
		}
		if bound >= maxTemplates {
			if time.Since(lru.used) < templateKeep {
				key, bp = "", bindProfile{}
			} else {
				fs.dropLocked(lru, "least recently used")
			}
		}
	}
	if t := fs.ts[key]; t != nil {
		if !t.w.alive() {
			fs.l.cfg.Logger.Error("the R fork template died; restarting it", "exit", t.w.exitDescription())
			fs.dropLocked(t, "died")
		} else if time.Since(t.checked) > templateCheckInterval {
			t.checked = time.Now()
			if fs.inputsStamp() != t.stamp {
				fs.l.cfg.Logger.Info("R, its packages or the fork library changed; restarting the fork template")
				fs.dropLocked(t, "inputs changed")
			}
		}
	}
	if t := fs.ts[key]; t != nil {
		t.used = time.Now()
		return t, nil
	}
	if time.Now().Before(fs.retryAt) {
		return nil, errTemplateUnavailable
	}
	t, err := fs.startTemplate(ctx, bp)
	if err != nil {
		fs.failures++
		wait := min(time.Duration(1<<min(fs.failures, 6))*time.Second, time.Minute)
		fs.retryAt = time.Now().Add(wait)
		fs.l.cfg.Logger.Error("CANNOT START THE R FORK TEMPLATE: sessions start cold (slow) until it works",
			"err", err, "retry_in", wait)
		return nil, fmt.Errorf("%w: %v", errTemplateUnavailable, err)
	}
	fs.failures = 0
	t.used = time.Now()
	fs.ts[key] = t
	fs.templateStarts.Add(1)
	return t, nil
}

// dropLocked ends template t. Session processes it forked are rwarden's
// children and live on.
func (fs *forkServer) dropLocked(t *template, reason string) {
	if t == nil || fs.ts[t.allow] != t {
		return
	}
	t.ctl.Close()
	t.w.destroy(reason)
	delete(fs.ts, t.allow)
}

// running returns the number of running template processes.
func (fs *forkServer) running() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, t := range fs.ts {
		if t.w.alive() {
			n++
		}
	}
	return n
}

func (fs *forkServer) close() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.closed = true
	for _, t := range fs.ts {
		fs.dropLocked(t, "pool closed")
	}
}

// startTemplate starts a template process, binds it to bp's allowlist
// (when it has one) and sends it its configuration.
func (fs *forkServer) startTemplate(ctx context.Context, bp bindProfile) (*template, error) {
	stamp := fs.inputsStamp()
	fs.spec = nil // resolved again for the template's sessions (fs.mu is held)
	bind := bp.prof.Allow != ""
	harness, err := templateHarness(fs.l.harness, bind)
	if err != nil {
		return nil, err
	}
	lib, err := os.Open(fs.lib)
	if err != nil {
		return nil, fmt.Errorf("opening the fork library: %w", err)
	}
	defer lib.Close()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	theirs := os.NewFile(uintptr(pair[1]), "template-control")
	ours := os.NewFile(uintptr(pair[0]), "template-control")
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ctl := conn.(*net.UnixConn)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fs.l.cfg.StartTimeout)
	defer cancel()
	w, err := fs.l.startCold(sctx, profileOf(fs.l.cfg.MaxLimits), &templateStart{harness: harness, ctl: theirs, lib: lib})
	theirs.Close()
	if err != nil {
		ctl.Close()
		return nil, fmt.Errorf("starting the template: %w", err)
	}
	if bind {
		// The template's only request: its allowlist, bound once here
		// for every session forked from it (template.R). It comes from
		// rwarden, as a session's bind would; no user code runs.
		if err := w.request(sctx, reqBind, bp.body, respBound, bindTimeout); err != nil {
			ctl.Close()
			w.destroy("bind failed")
			return nil, fmt.Errorf("binding the template: %w", err)
		}
	}
	cfg := make([]byte, 16, 16+len(fs.bpf))
	binary.LittleEndian.PutUint32(cfg[0:], ctlConfigMagic)
	binary.LittleEndian.PutUint32(cfg[4:], uint32(os.Getpid()))
	binary.LittleEndian.PutUint32(cfg[8:], uint32(len(fs.bpf)))
	cfg = append(cfg, fs.bpf...)
	_ = ctl.SetWriteDeadline(time.Now().Add(fs.l.cfg.StartTimeout))
	if _, err := ctl.Write(cfg); err != nil {
		ctl.Close()
		w.destroy("configuration failed")
		return nil, fmt.Errorf("configuring the template: %w", err)
	}
	fs.l.cfg.Logger.Debug("R fork template ready", "pid", w.pid)
	return &template{w: w, ctl: ctl, allow: bp.prof.Allow, stamp: stamp, checked: time.Now()}, nil
}

// fork asks the template for bp for one session process and returns its
// pid and whether it is bound to bp already (else it is unrestricted yet).
func (fs *forkServer) fork(ctx context.Context, bp bindProfile, req []byte, fds []int) (int, *template, bool, error) {
	pid, t, err := fs.forkFrom(ctx, bp, req, fds)
	return pid, t, err == nil && t.allow != "" && t.allow == bp.prof.Allow, err
}

func (fs *forkServer) forkFrom(ctx context.Context, bp bindProfile, req []byte, fds []int) (int, *template, error) {
	t, err := fs.get(ctx, bp)
	if err != nil {
		return 0, nil, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.ts[t.allow] != t {
		return 0, nil, fmt.Errorf("%w: template replaced", errTemplateUnavailable)
	}
	broken := func(err error) (int, *template, error) {
		fs.l.cfg.Logger.Error("the R fork template stopped answering; restarting it", "err", err)
		fs.dropLocked(t, "control channel broken")
		return 0, nil, fmt.Errorf("%w: %v", errTemplateUnavailable, err)
	}
	_ = t.ctl.SetDeadline(time.Now().Add(min(fs.l.cfg.StartTimeout, forkAnswerTimeout)))
	if _, _, err := t.ctl.WriteMsgUnix(req, unix.UnixRights(fds...), nil); err != nil {
		return broken(fmt.Errorf("sending a fork request: %w", err))
	}
	var ans [ctlAnswerLen + 1]byte
	n, err := t.readAnswer(ans[:], time.Now().Add(fs.l.cfg.StartTimeout))
	if err != nil || n != ctlAnswerLen || binary.LittleEndian.Uint32(ans[0:]) != ctlAnswerMagic {
		if err == nil {
			err = fmt.Errorf("malformed answer of %d bytes", n)
		}
		return broken(fmt.Errorf("reading a fork answer: %w", err))
	}
	pid := int(int32(binary.LittleEndian.Uint32(ans[4:])))
	if pid == -int(unix.EDEADLK) {
		// The template has more than one thread and refuses to fork (see
		// rwarden_fork.c); that will not change: replace it.
		fs.l.cfg.Logger.Error("the R fork template is no longer single-threaded; restarting it")
		fs.dropLocked(t, "not single-threaded")
		return 0, nil, fmt.Errorf("%w: template not single-threaded", errTemplateUnavailable)
	}
	if pid <= 0 {
		return 0, nil, fmt.Errorf("the template could not fork: %w", unix.Errno(-pid))
	}
	return pid, t, nil
}

// readAnswer reads the template's answer to a fork request, giving up at
// hard. A fork costs the template a millisecond of CPU, but its first
// answer comes after its one-time preparation at the fork point (freezing
// reference counts, a full garbage collection: template.R), and on a
// loaded host every answer waits for a CPU. So the template is broken only
// when it sits still, neither running nor waiting to run, for
// forkAnswerTimeout; one that is working gets up to hard (the start
// timeout). A flat forkAnswerTimeout replaced every new template on a host
// loaded some 30 runnable processes deep before its first answer, so that
// no session was ever forked and the pool fell behind its warm target.
func (t *template) readAnswer(buf []byte, hard time.Time) (int, error) {
	var cpu time.Duration
	if t.w.cpu != nil {
		cpu, _ = t.w.cpu.read()
	}
	for {
		deadline := time.Now().Add(forkAnswerTimeout)
		if deadline.After(hard) {
			deadline = hard
		}
		_ = t.ctl.SetReadDeadline(deadline)
		n, _, _, _, err := t.ctl.ReadMsgUnix(buf, nil)
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(hard) {
			return n, err
		}
		now, working := t.w.cpu.progress(cpu)
		if !working {
			return n, err
		}
		cpu = now
	}
}

// start forks a worker for bp from its template and waits until it is
// ready; the worker is already bound to bp (w.bound) when its template was.
// errTemplateUnavailable means nothing was forked: start cold.
func (fs *forkServer) start(ctx context.Context, bp bindProfile) (w *worker, err error) {
	l := fs.l
	prof := bp.prof
	w = l.newWorker(newWorkerID(), prof)
	w.forked = true
	defer func() {
		if err != nil {
			w.destroy("start failed")
			if !errors.Is(err, errTemplateUnavailable) {
				fs.forkFailures.Add(1)
			}
		}
	}()
	uid, gid, err := l.credentials(w)
	if err != nil {
		return w, err
	}
	w.scratch = filepath.Join(l.cfg.ScratchRoot, w.id)
	if !l.privileged && !l.rootless {
		// No tmpfs of its own: the directory itself is the scratch. (With
		// a mount namespace the session process creates it in the tmpfs it
		// mounts over the scratch root; nothing of it exists out here.)
		if err := os.Mkdir(w.scratch, 0o700); err != nil {
			return w, fmt.Errorf("creating scratch directory: %w", err)
		}
		if err := os.Chmod(w.scratch, 0o700); err != nil {
			return w, err
		}
	}
	// The scratch directory's rule is added by the session process on the
	// directory it sees: as root a tmpfs it mounts there itself, and a
	// rule on the directory beneath the mount would not reach into it.
	ruleset, handled, err := sessionLandlockRuleset(fs.sessionSpec())
	if err != nil {
		return w, err
	}
	defer unix.Close(ruleset)
	// As root the session mounts this tmpfs over the scratch root in its
	// own mount namespace; only root owns it, the session can only pass
	// through (0711) to its own directory. Rootless it mounts it in its own
	// user namespace, where it owns it (uid 0 is not mapped there).
	size := "size=" + strconv.FormatInt(l.cfg.ScratchBytes, 10)
	var flags uint32
	mountOpts := ""
	switch {
	case l.privileged:
		flags, mountOpts = ctlPrivileged, size+",mode=0711,uid=0,gid=0"
	case l.rootless:
		flags, mountOpts = ctlRootless, size+",mode=0700"
	}
	req, err := encodeForkRequest(flags, uid, gid, initialRlimits(l.cfg, prof), w.scratch, mountOpts, fsRWDir&handled)
	if err != nil {
		return w, err
	}

	reqR, reqW, err := os.Pipe()
	if err != nil {
		return w, err
	}
	defer reqR.Close()
	w.req = reqW
	conR, conW, err := nonblockingPipe()
	if err != nil {
		return w, err
	}
	defer conW.Close()
	w.conFd = conR
	resR, resW, err := nonblockingPipe()
	if err != nil {
		return w, err
	}
	defer resW.Close()
	w.resFd = resR
	if w.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return w, fmt.Errorf("eventfd: %w", err)
	}
	if l.privileged {
		// R reopens its pipes by path (/dev/fd/N), which checks the
		// owner: the session process's ends belong to its uid.
		for _, f := range []*os.File{reqR, resW} {
			if err := unix.Fchown(int(f.Fd()), uid, gid); err != nil {
				return w, fmt.Errorf("handing pipe to worker uid: %w", err)
			}
		}
	}
	w.startedAt = time.Now()
	pid, t, bound, err := fs.fork(ctx, bp, req, []int{int(reqR.Fd()), int(resW.Fd()), int(conW.Fd()), ruleset})
	if err != nil {
		return w, err
	}
	w.tmpl = t
	// The session process is rwarden's child (CLONE_PARENT), and stays a
	// zombie until waited for here: its pid cannot be reused before.
	proc, err := os.FindProcess(pid)
	if err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		return w, fmt.Errorf("finding forked session process %d: %w", pid, err)
	}
	w.pid = pid
	w.hasProc = true
	go func() {
		st, _ := proc.Wait()
		w.exitState = st
		close(w.done)
	}()
	// Its ends of the pipes belong to it alone now (closed by the defers
	// above); then wait for its harness.
	reqR.Close()
	conW.Close()
	resW.Close()
	if err := w.awaitReady(ctx); err != nil {
		return w, err
	}
	fs.forks.Add(1)
	w.bound = bound
	return w, nil
}
