package transport

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// PeerCredentials returns the uid, gid and pid of the process at the other
// end of a unix socket connection, as the kernel recorded them at connect
// time (SO_PEERCRED); they cannot be forged by the peer. A TLS connection
// over a unix socket, or any wrapper with a NetConn method, is unwrapped.
// Any other connection is an error.
func PeerCredentials(c net.Conn) (uid, gid uint32, pid int32, err error) {
	for i := 0; i < 4; i++ {
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return 0, 0, 0, fmt.Errorf("peer credentials: %T is not a unix socket connection", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("peer credentials: %w", err)
	}
	var cred *unix.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, 0, 0, fmt.Errorf("peer credentials: %w", err)
	}
	if serr != nil {
		return 0, 0, 0, fmt.Errorf("peer credentials: SO_PEERCRED: %w", serr)
	}
	if cred == nil {
		return 0, 0, 0, errors.New("peer credentials: none returned")
	}
	return cred.Uid, cred.Gid, cred.Pid, nil
}
