package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// grantMounts adds the session's mounts to the init's Landlock spec, at
// the paths R will see them: their targets when the init entered a minimal
// view, their sources otherwise. A rootless worker whose user namespace
// failed would see its mounts elsewhere than rwarden announced: it refuses
// to start instead.
func grantMounts(spec *initSpec) error {
	if len(spec.Mounts) == 0 {
		return nil
	}
	inView := spec.Privileged || (spec.Rootless && rootlessActive())
	if spec.Rootless && !inView {
		return errors.New("a worker with mounts needs its user namespace, which could not be set up")
	}
	spec.Landlock = mountLandlock(spec.Landlock, spec.Mounts, inView)
	// As root, each session of a user runs under another uid: files its R
	// creates in a writable mount must stay writable by the next one. Only
	// this user's sessions ever see the mount, so the mode bits protect
	// nothing there; the scratch directory stays private (0700 tmpfs).
	for _, m := range spec.Mounts {
		if m.Write && spec.Privileged {
			unix.Umask(0)
			break
		}
	}
	return nil
}

// bindMounts binds the session's mounts at their targets beneath root (the
// view being built): nosuid, nodev and noexec always, read-only unless the
// mount is writable. Each source is opened without following a symlink in
// its last component and bound through its descriptor, so that what is
// bound is the directory rwarden validated.
func bindMounts(root string, ms []Mount, links map[string]string) error {
	for _, m := range ms {
		if beneathLink(links, m.Target) {
			return fmt.Errorf("view: mount target %s lies beneath a symlink", m.Target)
		}
		fd, err := unix.Open(m.Source, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("view: opening mount source %s: %w", m.Source, err)
		}
		dst := root + m.Target
		if err := os.MkdirAll(dst, 0o755); err != nil {
			unix.Close(fd)
			return fmt.Errorf("view: %w", err)
		}
		err = unix.Mount("/proc/self/fd/"+strconv.Itoa(fd), dst, "", unix.MS_BIND, "")
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("view: binding %s at %s: %w", m.Source, m.Target, err)
		}
		flags := uintptr(unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOSUID|unix.MS_NODEV) | keptMountFlags(m.Source)
		if !m.Library {
			flags |= unix.MS_NOEXEC // data: nothing there runs or maps as code
		}
		if !m.Write {
			flags |= unix.MS_RDONLY
		}
		if err := unix.Mount("", dst, "", flags, ""); err != nil {
			return fmt.Errorf("view: remounting %s: %w", m.Target, err)
		}
	}
	return nil
}
