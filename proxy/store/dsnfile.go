package store

import (
	"fmt"
	"os"
	"syscall"
)

// checkDSNFile refuses a DSN file that others could read or change, as ssh
// refuses a private key: the DSN holds the database password, and a file
// that another local user can read gives them the store (every user's
// password hash, every policy), one they can write lets them point the
// node at a database of their own. fi is the open file's own stat, so the
// file checked is the file read. The owner must be the user rwarden runs
// as or root (root can read it anyway; a package may install it as root).
func checkDSNFile(path string, fi os.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("store DSN file %s has mode %04o: it holds the database password and must not be readable or writable by group or others; run chmod 600 %s",
			path, uint32(perm), path)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("store DSN file %s: its owner cannot be checked", path)
	}
	if euid := os.Geteuid(); int(st.Uid) != euid && st.Uid != 0 {
		return fmt.Errorf("store DSN file %s is owned by uid %d, neither rwarden's user (uid %d) nor root: another user could replace the database password and address; run chown %d %s (or chown root)",
			path, st.Uid, euid, euid, path)
	}
	return nil
}
