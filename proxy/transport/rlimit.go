package transport

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RaiseNoFile raises the RLIMIT_NOFILE soft limit to the hard limit, so
// that the connection limits and the descriptor reserve are computed from
// everything the process may have, and returns the soft limit now in
// force. (x/sys's Setrlimit leaves Go's own bookkeeping alone, so workers
// still start with the limit rwarden was started with; they set their own.)
func RaiseNoFile() (uint64, error) {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	if r.Cur < r.Max {
		r.Cur = r.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
			return 0, fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", r.Max, err)
		}
	}
	return r.Cur, nil
}

// minConnections is the fewest connections rwarden starts with: below it
// the descriptor limit is a configuration mistake, not a limit.
const minConnections = 16

// LimitsFor derives the connection limits from the descriptor limit: at
// most soft - reserve connections in all (fewer if configured), so that
// connections are refused before the descriptors kept for workers and the
// audit trail are touched. lowered reports a configured total that did not
// fit and was lowered.
func LimitsFor(soft uint64, reserve, configuredTotal, perAddress int) (lim ConnLimits, lowered bool, err error) {
	room := int(min(soft, 1<<30)) - reserve
	if room < minConnections {
		return ConnLimits{}, false, fmt.Errorf("RLIMIT_NOFILE of %d leaves %d descriptors for connections after the %d reserved for workers and the audit trail; raise the limit (ulimit -n, LimitNOFILE= in systemd) or lower connections.reserve_fds",
			soft, room, reserve)
	}
	lim = ConnLimits{Total: configuredTotal, PerAddress: perAddress}
	if lim.Total == 0 || lim.Total > room {
		lowered = lim.Total > room
		lim.Total = room
	}
	return lim, lowered, nil
}
