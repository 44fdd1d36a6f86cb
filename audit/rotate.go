package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// rotatedStamp is the suffix of a rotated file: FILE.<UTC time of rotation>,
// fixed width so that names sort by time; a rare collision gets -N appended.
const rotatedStamp = "20060102T150405.000000000Z"

// shouldRotate reports whether the live file must be rotated before more
// records go in. Rotation happens at batch boundaries, so a file may pass
// RotateBytes by at most one batch.
func (s *fileSink) shouldRotate(now time.Time, cfg *Config) bool {
	if s.size == 0 {
		return false
	}
	if cfg.RotateBytes > 0 && s.size >= cfg.RotateBytes {
		return true
	}
	return cfg.RotateEvery > 0 && !s.born.IsZero() && now.Sub(s.born) >= cfg.RotateEvery
}

// rotate renames the live file to a timestamped name and opens a new live
// file. The chain simply continues: the first record of the new file names
// the last hash of the old one.
func (s *fileSink) rotate(now time.Time) (string, error) {
	if err := s.close(); err != nil {
		return "", err
	}
	name, err := freeRotatedName(s.path, now)
	if err != nil {
		return "", err
	}
	if err := os.Rename(s.path, name); err != nil {
		return "", fmt.Errorf("rotating audit file %s: %w", s.path, err)
	}
	if err := syncDir(dirOf(s.path)); err != nil {
		return name, err
	}
	f, st, err := openFile(s.path)
	if err != nil {
		return name, err
	}
	s.f, s.dev, s.ino = f, uint64(st.Dev), st.Ino
	s.size, s.dirty, s.born = st.Size, false, time.Time{}
	if err := syncDir(dirOf(s.path)); err != nil {
		return name, err
	}
	return name, nil
}

func freeRotatedName(path string, now time.Time) (string, error) {
	base := path + "." + now.UTC().Format(rotatedStamp)
	name := base
	for i := 1; i < 1000; i++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name, nil
		}
		name = base + "-" + strconv.Itoa(i)
	}
	return "", fmt.Errorf("rotating audit file %s: no free name for %s", path, base)
}

// RotatedFiles lists the rotated files of the live file path, oldest first.
func RotatedFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing rotated audit files: %w", err)
	}
	type rotated struct {
		name  string
		stamp string
		n     int
	}
	var found []rotated
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok || len(rest) < len(rotatedStamp) || !e.Type().IsRegular() {
			continue
		}
		stamp, suffix := rest[:len(rotatedStamp)], rest[len(rotatedStamp):]
		if _, err := time.Parse(rotatedStamp, stamp); err != nil {
			continue
		}
		n := 0
		if suffix != "" {
			num, ok := strings.CutPrefix(suffix, "-")
			if n, err = strconv.Atoi(num); !ok || err != nil || n < 1 {
				continue
			}
		}
		found = append(found, rotated{filepath.Join(dir, e.Name()), stamp, n})
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].stamp != found[j].stamp {
			return found[i].stamp < found[j].stamp
		}
		return found[i].n < found[j].n
	})
	out := make([]string, len(found))
	for i, r := range found {
		out[i] = r.name
	}
	return out, nil
}
