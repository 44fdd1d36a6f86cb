package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rwarden/rwarden/internal/procstat"
)

// MemoryUsage is the memory the session's R process actually uses: its
// proportional set size (Pss from /proc/PID/smaps_rollup), in bytes. Pages
// a forked session still shares with its template count for a share of
// their size, so the sum over all sessions and the template is what they
// hold together. It is a sample: a session may grow between two of them.
//
// Reading Pss walks the process's page tables (some 0.4 ms of CPU for an
// R process; for 500 idle sessions sampled twice a second, a third of a
// CPU), so a sample is reused while the process cannot have changed its
// memory: no request was sent to it since (its R code runs only for one)
// and its CPU time has not moved (nothing else in it ran either). And a
// forked session that has not been sent any request yet is in the state
// every fork of its template reaches when ready: it gets its template's
// recent sample of such a session (memEstimate) instead of a walk of its
// own, so a one-shot session costs no walk at all.
func (s *Session) MemoryUsage() (int64, error) {
	if s.w == nil || s.w.pid <= 0 {
		return 0, errors.New("no worker process")
	}
	return s.w.memoryUsage()
}

// memSample is a worker's last memory sample and what it was taken at.
type memSample struct {
	mu   sync.Mutex
	ok   bool
	reqs uint64        // requests sent before it was taken
	cpu  time.Duration // the process's CPU time then
	pss  int64
}

// freshMemoryRefresh is how old a template's sample of a fresh session
// may get before the next fresh session is measured again.
const freshMemoryRefresh = 5 * time.Second

// memEstimate is a template's last measured Pss of one of its forks that
// had not been sent any request yet.
type memEstimate struct {
	mu  sync.Mutex
	pss int64
	at  time.Time
}

func (e *memEstimate) get() (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pss, !e.at.IsZero() && time.Since(e.at) < freshMemoryRefresh
}

func (e *memEstimate) set(pss int64) {
	e.mu.Lock()
	e.pss, e.at = pss, time.Now()
	e.mu.Unlock()
}

func (w *worker) memoryUsage() (int64, error) {
	// The request count is read before the CPU time and the walk: a
	// request sent meanwhile makes the next call measure again.
	reqs := w.requests.Load()
	cpu, cpuErr := processCPU(w.pid)
	m := &w.mem
	m.mu.Lock()
	defer m.mu.Unlock()
	if cpuErr == nil && m.ok && m.reqs == reqs && m.cpu == cpu {
		return m.pss, nil
	}
	fresh := reqs == 0 && w.tmpl != nil
	if fresh && cpuErr == nil {
		if pss, ok := w.tmpl.fresh.get(); ok {
			m.ok, m.reqs, m.cpu, m.pss = true, reqs, cpu, pss
			return pss, nil
		}
	}
	pss, err := processPss(w.pid)
	if err != nil {
		return 0, err
	}
	if fresh {
		w.tmpl.fresh.set(pss)
	}
	m.ok = cpuErr == nil
	m.reqs, m.cpu, m.pss = reqs, cpu, pss
	return pss, nil
}

// processCPU is a process's user and system CPU time, all its threads,
// from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return procstat.CPU(b)
}

// pssReads counts the walks of processPss (tests check which samples
// were reused).
var pssReads atomic.Uint64

// processPss reads the Pss line of /proc/PID/smaps_rollup.
func processPss(pid int) (int64, error) {
	pssReads.Add(1)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, fmt.Errorf("reading memory use of worker %d: %w", pid, err)
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("Pss:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			break
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no Pss in /proc/%d/smaps_rollup", pid)
}
