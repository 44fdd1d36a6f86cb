package sandbox

import (
	"errors"
	"time"
)

// CPUTime is the CPU time (user and system) the session's R process has
// used so far, read from /proc: what the admin API reports per session.
func (s *Session) CPUTime() (time.Duration, error) {
	if s.w == nil || s.w.pid <= 0 {
		return 0, errors.New("no worker process")
	}
	return processCPU(s.w.pid)
}

// Kill ends the session's R process group at once, without waiting for a
// running evaluation (which then reports its worker as killed). It does not
// take the session's lock, so an operator can end a session that is busy;
// Close still has to be called to release the worker.
func (s *Session) Kill(reason string) {
	if s.w != nil {
		s.w.kill(reason)
	}
}
