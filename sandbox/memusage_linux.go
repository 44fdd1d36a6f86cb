package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// MemoryUsage is the memory the session's R process actually uses: its
// proportional set size (Pss from /proc/PID/smaps_rollup), in bytes. Pages
// a forked session still shares with its template count for a share of
// their size, so the sum over all sessions and the template is what they
// hold together. It is a sample: a session may grow between two of them.
func (s *Session) MemoryUsage() (int64, error) {
	if s.w == nil || s.w.pid <= 0 {
		return 0, errors.New("no worker process")
	}
	return processPss(s.w.pid)
}

// processPss reads the Pss line of /proc/PID/smaps_rollup.
func processPss(pid int) (int64, error) {
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
