package rtest

import (
	"fmt"
	"os"
	"time"

	"github.com/rwarden/rwarden/internal/procstat"
)

// cpuTime returns the CPU time (user plus system) that process pid has
// used so far, across execs (Rscript execs the R shell script, which
// execs R, all in the same process).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time of process %d: %w", pid, err)
	}
	cpu, err := procstat.CPU(data)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w: %q", pid, err, data)
	}
	return cpu, nil
}
