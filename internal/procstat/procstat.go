// Package procstat reads the fields rwarden needs from a Linux
// /proc/PID/stat line: a process's CPU time and its state. It is shared by
// the sandbox (the OS layer, watching workers and fork templates) and the
// policy's R-side test harness (policy/rsyntax/rtest); it holds no state
// and trusts nothing in the line beyond its format.
package procstat

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: the kernel
// reports them in USER_HZ ticks, which is 100 on every Linux ABI.
const userHZ = 100

// ErrFormat is a stat line without the fields this package reads.
var ErrFormat = errors.New("unexpected /proc stat format")

// CPU is the process's CPU time so far, user plus system (fields 14 and
// 15 of a stat line).
func CPU(line []byte) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself: the fields that follow start after the last ')'.
	i := bytes.LastIndexByte(line, ')')
	if i < 0 {
		return 0, ErrFormat
	}
	f := bytes.Fields(line[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, ErrFormat
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, ErrFormat
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// State is the process's state letter (field 3: R running or runnable, S
// sleeping, Z zombie, ...), or 0 when the line has none.
func State(line []byte) byte {
	i := bytes.LastIndexByte(line, ')')
	if i < 0 || i+2 >= len(line) {
		return 0
	}
	return line[i+2]
}
