package sandbox

import (
	"runtime"
	"sync"
	"time"
)

// hotSessions decides whether an evaluation may busy-poll (Config.BusyPoll).
// Polling saves a wake-up only while a CPU would otherwise be idle: a
// session in a tight loop keeps about two CPUs busy while it polls (its
// worker, and rwarden waiting for the answer), so polling is allowed while
// at most one such session per two CPUs is active. A session is active
// from a request until `window` after it; sessions beyond the limit, and
// every session on a one-CPU machine, evaluate without polling, so that
// polling never takes CPU time from other sessions' work.
type hotSessions struct {
	mu     sync.Mutex
	max    int           // sessions that may poll at once
	window time.Duration // how long a request keeps its session active
	// recent holds the max+1 sessions that made the latest requests: if at
	// least max other sessions are active, they are among them.
	recent []hotEntry
}

type hotEntry struct {
	session uint64
	at      time.Time
}

func newHotSessions(busyPoll time.Duration) *hotSessions {
	return &hotSessions{max: runtime.NumCPU() / 2, window: 4 * busyPoll}
}

// admit records a request of session at now and reports whether it may
// poll.
func (h *hotSessions) admit(session uint64, now time.Time) bool {
	if h.max == 0 || h.window == 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	others, self, oldest := 0, -1, -1
	for i, e := range h.recent {
		switch {
		case e.session == session:
			self = i
		case now.Sub(e.at) < h.window:
			others++
		}
		if oldest < 0 || e.at.Before(h.recent[oldest].at) {
			oldest = i
		}
	}
	switch {
	case self >= 0:
		h.recent[self].at = now
	case len(h.recent) <= h.max:
		h.recent = append(h.recent, hotEntry{session, now})
	default:
		h.recent[oldest] = hotEntry{session, now}
	}
	return others < h.max
}

// answerSpin is how long rwarden polls for the answer to a session's
// evaluation before it sleeps: the busy-poll window when the session may
// poll (hotSessions.admit), except for its first evaluation (evals, the
// number sent before, is 0). That one pays for its process's first touches
// of the template's memory (about 1 ms of CPU for `1+1` in a forked
// session, docs/benchmarks.md): its answer never came within the window,
// and the spin only burnt CPU, a fifth of a millisecond of every one-shot
// evaluation.
func answerSpin(hot bool, evals uint64, window time.Duration) time.Duration {
	if !hot || evals == 0 {
		return 0
	}
	return window
}
