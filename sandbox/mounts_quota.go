package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// errMountQuota ends an evaluation that left a writable mount (a user's
// workspace) over its quota.
var errMountQuota = errors.New("mount quota exceeded")

// mountQuotaError says which mount is over its quota, by how much.
type mountQuotaError struct {
	target      string
	used, quota int64
}

func (e *mountQuotaError) Error() string {
	return fmt.Sprintf("%s holds %d bytes, over its quota of %d bytes", e.target, e.used, e.quota)
}

func (e *mountQuotaError) Unwrap() error { return errMountQuota }

// DirUsage is the total size of the regular files beneath dir, not
// following symlinks; unreadable parts count as empty.
func DirUsage(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return nil
	})
	return total
}

// checkMountQuotas measures, on the host, each writable mount with a quota.
func (s *Session) checkMountQuotas() error {
	for _, m := range s.w.mounts {
		if m.Quota <= 0 {
			continue
		}
		if used := DirUsage(m.Source); used > m.Quota {
			return &mountQuotaError{target: s.VisiblePath(m), used: used, quota: m.Quota}
		}
	}
	return nil
}
