package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rwarden/rwarden/internal/procstat"

	"golang.org/x/sys/unix"
)

//go:embed harness.R
var harnessR []byte

// harnessBusyPollLine is the harness's setting of its busy-poll window;
// harnessWithBusyPoll replaces it with the pool's.
const harnessBusyPollLine = "SPIN_SECONDS <- 250e-6\n"

// harnessWithBusyPoll is the harness text a pool's workers run: the
// embedded one with the busy-poll window set to d (0: never poll).
func harnessWithBusyPoll(d time.Duration) ([]byte, error) {
	if bytes.Count(harnessR, []byte(harnessBusyPollLine)) != 1 {
		return nil, errors.New("sandbox: the harness does not set its busy-poll window exactly once")
	}
	line := "SPIN_SECONDS <- " + strconv.FormatFloat(d.Seconds(), 'g', -1, 64) + "\n"
	return bytes.Replace(harnessR, []byte(harnessBusyPollLine), []byte(line), 1), nil
}

// harnessBootstrap is the whole of R's standard input: read the harness
// (length-prefixed) from the request pipe, parse it in one go, run it.
const harnessBootstrap = `local({con <- file("/dev/fd/3", open = "rb", raw = TRUE); ` +
	`n <- readBin(con, "integer", 1L, size = 4L, endian = "little"); ` +
	`src <- readChar(con, n, useBytes = TRUE); close(con); ` +
	`eval(parse(text = src, keep.source = FALSE, encoding = "UTF-8"), envir = globalenv())})` + "\n"

// launcher starts workers. It holds what every worker start needs,
// resolved once.
type launcher struct {
	cfg        Config
	layout     rLayout
	loader     string
	privileged bool
	// rootless: not root, and the host allows unprivileged user namespaces
	// (forked sessions take their own, see template_confine_linux.go).
	rootless bool
	uids     *uidPool
	fixedUID int
	fixedGID int
	lock     *os.File    // held for the life of the pool: the scratch root is ours
	harness  []byte      // the harness text, with this pool's settings
	fork     *forkServer // nil: every worker starts cold
}

func newLauncher(cfg Config) (*launcher, error) {
	layout, err := findRLayout(cfg.RHome)
	if err != nil {
		return nil, err
	}
	l := &launcher{cfg: cfg, layout: layout, privileged: os.Geteuid() == 0 && !cfg.Insecure}
	l.rootless = !l.privileged && !cfg.Insecure && rootlessSupported()
	if l.harness, err = harnessWithBusyPoll(cfg.BusyPoll); err != nil {
		return nil, err
	}
	l.loader, err = elfInterpreter(cfg.rBinary())
	if err != nil {
		return nil, err
	}
	if l.privileged {
		if cfg.User != "" {
			l.fixedUID, l.fixedGID, err = cfg.fixedUser()
			if err != nil {
				return nil, err
			}
		} else {
			l.uids = newUIDPool(cfg.UIDFirst, cfg.UIDLast)
		}
	}
	if l.lock, err = prepareScratchRoot(cfg.ScratchRoot, l.privileged); err != nil {
		return nil, err
	}
	if !cfg.DisableFork && !cfg.Insecure {
		if l.fork, err = newForkServer(l); err != nil {
			cfg.Logger.Error("FORKED SESSIONS UNAVAILABLE: every session starts cold (slow)", "err", err)
			l.fork = nil
		}
	}
	return l, nil
}

// prepareScratchRoot creates the directory holding the workers' scratch
// directories and takes an exclusive lock on it, so that no two rwarden
// processes share one; entries left by a previous rwarden that died are then
// known to be stale and are removed. As root, workers run under other uids
// and must be able to reach their own directory: the root and its ancestors
// must be searchable by others, the root itself not listable (0711).
func prepareScratchRoot(root string, privileged bool) (*os.File, error) {
	mode := os.FileMode(0o700)
	if privileged {
		mode = 0o711
	}
	if err := os.MkdirAll(root, mode); err != nil {
		return nil, fmt.Errorf("creating scratch root %s: %w", root, err)
	}
	if err := os.Chmod(root, mode); err != nil {
		return nil, fmt.Errorf("setting mode of scratch root %s: %w", root, err)
	}
	lock, err := os.OpenFile(filepath.Join(root, ".lock"), os.O_CREATE|os.O_RDWR|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking scratch root: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("scratch root %s is in use by another rwarden process: %w", root, err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("reading scratch root: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "w-") {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				lock.Close()
				return nil, fmt.Errorf("removing stale scratch directory: %w", err)
			}
		}
	}
	if !privileged {
		return lock, nil
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("checking scratch root ancestor %s: %w", dir, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			lock.Close()
			return nil, fmt.Errorf("scratch root %s is not reachable by worker uids: %s is not searchable by others (mode %v); use a scratch root under a directory with o+x", root, dir, st.Mode().Perm())
		}
		if dir == "/" {
			return lock, nil
		}
	}
}

// worker is one R process serving at most one session.
type worker struct {
	id      string
	l       *launcher
	begun   time.Time // when its start began (error texts say how long was waited)
	cmd     *exec.Cmd // a cold worker's init, nil for a forked one
	pid     int
	hasProc bool // a process was started and is waited for (done)
	forked  bool // forked from a template
	uid     int  // -1 when no uid was allocated from the pool
	scratch string

	req   *os.File // rwarden -> R requests (R's fd 3)
	resFd int      // R -> rwarden responses (R's fd 4), non-blocking
	conFd int      // R's console, fds 1 and 2, non-blocking
	wake  int      // eventfd: wakes the I/O loop when a context ends

	frame  frameState
	conBuf []byte // console read buffer of await, kept for the worker's life

	done      chan struct{} // closed when the process has been reaped
	exitState *os.ProcessState

	mu         sync.Mutex
	killReason string // why rwarden killed the worker, "" if it did not
	destroyed  bool
	bound      bool
	startedAt  time.Time
	version    string
	profile    profile // the rlimits it was started with
	inView     bool    // started in a minimal view: mounts are at their targets
	mounts     []Mount // the session's host directories (mounts.go)
	cpu        *cpuReader

	// requests counts the requests sent to it (its R code runs only for
	// one), mem is its last memory sample, tmpl the template it was
	// forked from (nil: started cold); see memoryUsage.
	requests atomic.Uint64
	mem      memSample
	tmpl     *template
}

func newWorkerID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "w-" + hex.EncodeToString(b)
}

// start launches a worker for a session and waits until its harness is
// ready: forked from the template when forks are on and the template
// runs (then already bound to bp), else started cold (not bound yet).
func (l *launcher) start(ctx context.Context, bp bindProfile) (*worker, error) {
	prof := bp.prof
	// A worker with sockets never comes from a template: the template's
	// seccomp filter (inherited by every fork) denies all sockets.
	// A session with mounts starts cold: its bind mounts are made by its
	// own init, while a template's view holds none and its session
	// processes may mount nothing but their scratch tmpfs.
	if l.fork != nil && !prof.Sockets && prof.Mounts == "" {
		w, err := l.fork.start(ctx, bp)
		if !errors.Is(err, errTemplateUnavailable) {
			return w, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return l.startCold(ctx, prof, nil)
}

// newWorker is a worker record with nothing allocated yet.
func (l *launcher) newWorker(id string, prof profile) *worker {
	return &worker{id: id, l: l, begun: time.Now(), uid: -1, resFd: -1, conFd: -1, wake: -1, done: make(chan struct{}), profile: prof}
}

// credentials allocates the uid and gid a worker runs as.
func (l *launcher) credentials(w *worker) (uid, gid int, err error) {
	uid, gid = os.Getuid(), os.Getgid()
	if l.privileged {
		if l.uids != nil {
			if uid, err = l.uids.get(); err != nil {
				return 0, 0, err
			}
			gid = uid
			w.uid = uid
		} else {
			uid, gid = l.fixedUID, l.fixedGID
		}
	}
	return uid, gid, nil
}

// templateStart is what differs when startCold starts a fork template.
type templateStart struct {
	harness []byte   // the harness with the template code (template.R)
	ctl     *os.File // the template's end of the control socket (its fd 5)
	lib     *os.File // the fork library, opened read-only (its fd 6)
}

// startCold re-executes rwarden as the init of a new R process: a worker,
// or with tmpl a fork template.
func (l *launcher) startCold(ctx context.Context, prof profile, tmpl *templateStart) (w *worker, err error) {
	id := newWorkerID()
	if tmpl != nil {
		id = "w-template-" + id[2:]
	}
	w = l.newWorker(id, prof)
	defer func() {
		if err != nil {
			w.destroy("start failed")
		}
	}()
	uid, gid := os.Getuid(), os.Getgid()
	if tmpl == nil {
		if uid, gid, err = l.credentials(w); err != nil {
			return w, err
		}
	}
	mounts, err := mountsOfKey(prof.Mounts)
	if err != nil {
		return w, err
	}
	if len(mounts) > 0 && tmpl != nil {
		return w, errors.New("a fork template cannot have mounts")
	}
	w.inView = (l.privileged || l.rootless) && !l.cfg.Insecure
	w.mounts = mounts
	w.scratch = filepath.Join(l.cfg.ScratchRoot, w.id)
	if err := os.Mkdir(w.scratch, 0o700); err != nil {
		return w, fmt.Errorf("creating scratch directory: %w", err)
	}
	spec := initSpec{
		RBinary:      l.cfg.rBinary(),
		Args:         rArgs,
		Env:          workerEnv(l.layout, w.scratch),
		Parent:       os.Getpid(),
		Scratch:      w.scratch,
		ScratchBytes: l.cfg.ScratchBytes,
		Privileged:   l.privileged,
		UID:          uid,
		GID:          gid,
		Rlimits:      initialRlimits(l.cfg, prof),
		Landlock:     landlockFor(l.layout, l.cfg.rBinary(), l.loader, w.scratch),
		Insecure:     l.cfg.Insecure,
		Rootless:     l.rootless,
		UnixSockets:  prof.Sockets && tmpl == nil,
		Mounts:       mounts,
	}
	if spec.UnixSockets {
		spec.Env = append(spec.Env, EgressEnv+"="+EgressPath)
	}
	for _, m := range mounts {
		if m.Home {
			spec.Env = withHome(spec.Env, w.visiblePath(m))
		}
	}
	if libs := libraryPaths(mounts); len(libs) > 0 {
		spec.Env = append(spec.Env, "R_LIBS="+strings.Join(libs, ":"))
	}
	harness := l.harness
	if tmpl != nil {
		spec.Template = true
		spec.Rlimits = templateRlimits(l.cfg)
		harness = tmpl.harness
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return w, err
	}

	// Pipes. The child's ends are plain blocking descriptors; rwarden's
	// read ends are non-blocking and driven by poll(2) in one loop, so that
	// console output written before a result is always read before it.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return w, err
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		stdinW.Close()
		return w, err
	}
	w.req = reqW
	conR, conW, err := nonblockingPipe()
	if err != nil {
		stdinW.Close()
		return w, err
	}
	w.conFd = conR
	resR, resW, err := nonblockingPipe()
	if err != nil {
		stdinW.Close()
		return w, err
	}
	w.resFd = resR
	if w.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		stdinW.Close()
		return w, fmt.Errorf("eventfd: %w", err)
	}

	if l.privileged {
		// R reopens its request and result pipes by path (/dev/fd/N), which
		// checks the pipe's owner: give the worker's ends to the worker uid.
		for _, f := range []*os.File{reqR, resW} {
			if err := unix.Fchown(int(f.Fd()), uid, gid); err != nil {
				stdinW.Close()
				return w, fmt.Errorf("handing pipe to worker uid: %w", err)
			}
		}
	}
	cmd := exec.Command(l.cfg.Executable, InitCommand, string(specJSON))
	cmd.Env = []string{} // the init builds R's environment itself
	cmd.Stdin = stdinR
	cmd.Stdout = conW
	cmd.Stderr = conW
	cmd.ExtraFiles = []*os.File{reqR, resW}
	if tmpl != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, tmpl.ctl, tmpl.lib)
	}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // the wall-clock kill takes the whole group
		Pdeathsig: syscall.SIGKILL, // workers die with rwarden
	}
	if l.privileged {
		// A private mount namespace for the scratch tmpfs; it (and the tmpfs)
		// disappears with the worker. The network namespace is entered by
		// the init itself, after its rlimits.
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNS
	}
	w.startedAt = time.Now()
	err = startOnSpawnerThread(cmd)
	// The child's ends now belong to the child alone: holding them open here
	// would hide its death (no end of file on the pipes).
	stdinR.Close()
	reqR.Close()
	conW.Close()
	resW.Close()
	if err != nil {
		stdinW.Close()
		return w, fmt.Errorf("starting worker init: %w", err)
	}
	w.cmd = cmd
	w.pid = cmd.Process.Pid
	w.hasProc = true
	go func() {
		_ = cmd.Wait()
		w.exitState = cmd.ProcessState
		close(w.done)
	}()
	// R's console re-parses a multi-line expression from the start for
	// every line it reads, quadratic in the harness's size; so standard
	// input carries a one-line bootstrap (then end of file, for good) that
	// reads the harness from the request pipe and parses it once.
	go func() {
		_, _ = stdinW.Write([]byte(harnessBootstrap))
		stdinW.Close()
	}()
	hdr := make([]byte, 4, 4+len(harness))
	binary.LittleEndian.PutUint32(hdr, uint32(len(harness)))
	// The start timeout bounds the whole start, from launch to ready: the
	// harness must be taken within it too.
	deadline, limit := w.startDeadline(ctx)
	if err := w.req.SetWriteDeadline(deadline); err != nil {
		return w, err
	}
	if _, err := w.req.Write(append(hdr, harness...)); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return w, fmt.Errorf("worker did not become ready: waited %v, stopped by %s while it was being sent its harness (%s)",
				time.Since(w.begun).Round(time.Millisecond), limit, processState(w.pid))
		}
		return w, fmt.Errorf("sending the harness to the worker: %w", err)
	}
	return w, w.awaitReady(ctx)
}

// startDeadline is when the start must be done (the start timeout bounds
// the whole start, from launch to ready, unless the caller's deadline comes
// first) and the name of that limit, for the error that says what happened.
func (w *worker) startDeadline(ctx context.Context) (time.Time, string) {
	timeout := w.l.cfg.StartTimeout
	deadline := w.begun.Add(timeout)
	limit := fmt.Sprintf("the worker start timeout of %v", timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
		limit = fmt.Sprintf("the request's deadline (%v after the start began; the start timeout is %v)",
			max(0, d.Sub(w.begun)).Round(time.Millisecond), timeout)
	}
	return deadline, limit
}

// awaitReady waits for the harness's ready message.
func (w *worker) awaitReady(ctx context.Context) error {
	deadline, limit := w.startDeadline(ctx)
	startLog := &consoleSink{limit: 16 << 10}
	typ, payload, err := w.await(ctx, deadline, 0, startLog, nil)
	if err != nil {
		msg := strings.TrimSpace(string(startLog.buf))
		if msg != "" {
			return fmt.Errorf("worker failed to start: %s", msg)
		}
		if errors.Is(err, errDeadline) || errors.Is(err, context.DeadlineExceeded) {
			// Say what really happened: how long was waited and which
			// limit ended the wait (often the caller's, not ours).
			return fmt.Errorf("worker did not become ready: waited %v, stopped by %s (%s)",
				time.Since(w.begun).Round(time.Millisecond), limit, processState(w.pid))
		}
		return fmt.Errorf("worker failed to start: %w", err)
	}
	if typ != respReady {
		return fmt.Errorf("%w: expected ready, got type %d", errProtocol, typ)
	}
	w.version = strings.SplitN(string(payload), "\n", 2)[0]
	if w.cpu, err = openCPUReader(w.pid); err != nil {
		return fmt.Errorf("watching worker CPU time: %w", err)
	}
	return nil
}

func nonblockingPipe() (r int, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, nil, fmt.Errorf("pipe: %w", err)
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return -1, nil, err
	}
	return p[0], os.NewFile(uintptr(p[1]), "worker-pipe"), nil
}

// alive reports whether the worker process still runs.
func (w *worker) alive() bool {
	select {
	case <-w.done:
		return false
	default:
		return w.hasProc
	}
}

// kill ends the worker's whole process group. The first reason given is
// kept: it decides how the death is reported.
func (w *worker) kill(reason string) {
	w.mu.Lock()
	if w.killReason == "" {
		w.killReason = reason
	}
	w.mu.Unlock()
	if w.pid > 0 {
		_ = unix.Kill(-w.pid, unix.SIGKILL)
		_ = unix.Kill(w.pid, unix.SIGKILL)
	}
}

func (w *worker) reason() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.killReason
}

// destroy kills the worker, reaps it, closes every descriptor and removes
// its scratch directory. Safe to call more than once.
func (w *worker) destroy(reason string) {
	w.mu.Lock()
	if w.destroyed {
		w.mu.Unlock()
		return
	}
	w.destroyed = true
	w.mu.Unlock()
	w.kill(reason)
	if w.hasProc {
		<-w.done
	}
	if w.req != nil {
		w.req.Close()
	}
	w.cpu.close()
	for _, fd := range []*int{&w.resFd, &w.conFd, &w.wake} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	if w.scratch != "" {
		if err := os.RemoveAll(w.scratch); err != nil {
			w.l.cfg.Logger.Error("removing worker scratch directory", "worker", w.id, "dir", w.scratch, "err", err)
		}
	}
	if w.uid >= 0 && w.l.uids != nil {
		w.l.uids.put(w.uid)
	}
}

// exitDescription says how the process ended, once it has.
func (w *worker) exitDescription() string {
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
		return "worker stopped answering"
	}
	st := w.exitState
	if st == nil {
		return "worker exited"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "worker killed by signal " + ws.Signal().String()
	}
	return fmt.Sprintf("worker exited with status %d", st.ExitCode())
}

// exitSignal returns the signal that ended the worker, or 0.
func (w *worker) exitSignal() syscall.Signal {
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
		return 0
	}
	if w.exitState == nil {
		return 0
	}
	if ws, ok := w.exitState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

// send writes one request to the worker, bounded by a deadline so a worker
// that stopped reading cannot block rwarden.
func (w *worker) send(typ, flags uint32, nonce, body []byte, deadline time.Time) error {
	return w.sendParts(typ, flags, nonce, [][]byte{body}, deadline)
}

// sendParts writes one request whose body is parts, one after the other.
// A small body goes out in one write; a large one (an assignment) after
// its head, part by part, never copied into one frame: rwarden holds it
// once.
func (w *worker) sendParts(typ, flags uint32, nonce []byte, parts [][]byte, deadline time.Time) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	w.requests.Add(1) // before the process can see it (memoryUsage)
	if err := w.req.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if n > 64<<10 {
		head, err := encodeRequestHead(typ, flags, nonce, n)
		if err != nil {
			return err
		}
		for _, b := range append([][]byte{head}, parts...) {
			if _, err := w.req.Write(b); err != nil {
				return fmt.Errorf("sending request to worker: %w", err)
			}
		}
		return nil
	}
	body := make([]byte, 0, n)
	for _, p := range parts {
		body = append(body, p...)
	}
	frame, err := encodeRequest(typ, flags, nonce, body)
	if err != nil {
		return err
	}
	if _, err := w.req.Write(frame); err != nil {
		return fmt.Errorf("sending request to worker: %w", err)
	}
	return nil
}

func newNonce() []byte {
	b := make([]byte, nonceLen)
	_, _ = rand.Read(b)
	return b
}

var errNonce = fmt.Errorf("%w: answer does not match the request", errProtocol)

// processState describes where a process is, for diagnosing a worker that
// does not start: its state, CPU time and the kernel function it waits in.
func processState(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "process gone"
	}
	wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	cpu, _ := procstat.CPU(stat)
	state := "?"
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		state = string(stat[i+2])
	}
	return fmt.Sprintf("pid %d %s state %s cpu %v waiting in %q", pid, exe, state, cpu, string(wchan))
}
