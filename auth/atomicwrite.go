package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The users file is the only copy of every password hash, so it is never
// written in place: a crash, a full disk or a failed write must leave either
// the old file or the new one, never a truncated mix.

// usersFileMode is the mode of every users file this package writes.
const usersFileMode = 0o600

// lockTimeout bounds how long an edit waits for another one to finish.
const lockTimeout = 10 * time.Second

// Test hooks; nil in production.
var (
	// hookBeforeRename runs after the temporary file is complete and synced,
	// just before it replaces the original; an error aborts the write.
	hookBeforeRename func(tmp string) error
	// hookTempName, when set, chooses the temporary file's name.
	hookTempName func(dir, base string) string
)

// lockedDir is an open, flock-ed directory: the lock serializes concurrent
// edits of files in it (two `rwarden user add` at once would otherwise lose
// one update), and the descriptor is reused to fsync the directory.
type lockedDir struct{ f *os.File }

// lockDir opens dir and takes an exclusive flock on it, waiting up to
// lockTimeout.
func lockDir(dir string) (*lockedDir, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening directory: %w", err)
	}
	deadline := time.Now().Add(lockTimeout)
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &lockedDir{f: f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			_ = f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("locking directory %s: another edit is still running", dir)
			}
			return nil, fmt.Errorf("locking directory %s: %w", dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unlock releases the lock (closing the descriptor drops the flock).
func (d *lockedDir) unlock() { _ = d.f.Close() }

// writeFileAtomic replaces path with data, mode 0600: it writes a new file
// in the same directory (created with O_EXCL|O_NOFOLLOW so that a planted
// symlink cannot redirect the write), fsyncs it, renames it over path and
// fsyncs the directory so the rename itself survives a crash. An existing
// path must be a regular file, not a symlink: replacing a symlink would
// silently break whatever it pointed to. The owner of an existing file is
// kept (root editing a service's users file must not take it away).
// dir must be the locked parent directory of path.
func writeFileAtomic(dir *lockedDir, path string, data []byte) (err error) {
	var owner *syscall.Stat_t
	if st, lerr := os.Lstat(path); lerr == nil {
		if st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink; refusing to replace it (edit the file it points to)", path)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		owner, _ = st.Sys().(*syscall.Stat_t)
	} else if !errIsNotExist(lerr) {
		return fmt.Errorf("checking %s: %w", path, lerr)
	}

	tmp, err := createTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()

	if err := tmp.Chmod(usersFileMode); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmpName, err)
	}
	if owner != nil && (owner.Uid != uint32(os.Geteuid()) || owner.Gid != uint32(os.Getegid())) {
		if err := tmp.Chown(int(owner.Uid), int(owner.Gid)); err != nil {
			return fmt.Errorf("keeping owner %d:%d of %s: %w", owner.Uid, owner.Gid, path, err)
		}
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmpName, err)
	}
	if hookBeforeRename != nil {
		if err := hookBeforeRename(tmpName); err != nil {
			return err
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	renamed = true
	if err := dir.f.Sync(); err != nil {
		return fmt.Errorf("syncing directory of %s: %w", path, err)
	}
	return nil
}

// createTemp creates a new, empty temporary file next to the target. It
// never opens an existing file or follows a symlink: O_EXCL fails on any
// existing name, dangling symlinks included, and O_NOFOLLOW says so twice.
func createTemp(dir, base string) (*os.File, error) {
	var name string
	if hookTempName != nil {
		name = hookTempName(dir, base)
	} else {
		var rnd [8]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return nil, fmt.Errorf("naming temporary file: %w", err)
		}
		name = filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, usersFileMode)
	if err != nil {
		return nil, fmt.Errorf("creating temporary file in %s: %w", dir, err)
	}
	return f, nil
}
