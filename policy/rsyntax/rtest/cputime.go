package rtest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: the kernel
// reports them in USER_HZ ticks, which is 100 on every Linux ABI.
const userHZ = 100

// cpuTime returns the CPU time (user plus system) that process pid has
// used so far, across execs (Rscript execs the R shell script, which
// execs R, all in the same process).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time of process %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself: the fields that follow start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("process %d: malformed stat %q", pid, data)
	}
	f := bytes.Fields(data[i+1:])
	// After the name: state (3), ppid, pgrp, session, tty_nr, tpgid,
	// flags, minflt, cminflt, majflt, cmajflt, utime (14), stime (15).
	if len(f) < 13 {
		return 0, fmt.Errorf("process %d: short stat %q", pid, data)
	}
	utime, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("process %d: bad CPU times in stat %q", pid, data)
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}
