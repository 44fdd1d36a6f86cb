package sandbox

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// The fork library is the C half of a fork template (forklib/rwarden_fork.c):
// R loads it with dyn.load and calls it through .C, so it needs no R headers.
//
//go:embed forklib/rwarden_fork.c
var forkLibSource []byte

// ForkLibraryName is the file name of the prebuilt fork library that
// `make build` puts next to the rwarden binary.
const ForkLibraryName = "rwarden_fork.so"

// forkLibrary finds the fork library: Config.ForkLibrary when set, else
// ForkLibraryName next to the executable, else a copy compiled with gcc from
// the embedded source into a private cache directory (tests, `go run`).
func forkLibrary(cfg Config) (string, error) {
	if cfg.ForkLibrary != "" {
		if _, err := os.Stat(cfg.ForkLibrary); err != nil {
			return "", fmt.Errorf("fork library: %w", err)
		}
		return cfg.ForkLibrary, nil
	}
	next := filepath.Join(filepath.Dir(cfg.Executable), ForkLibraryName)
	if st, err := os.Stat(next); err == nil && st.Mode().IsRegular() {
		return next, nil
	}
	return compileForkLibrary()
}

// compileForkLibrary builds the embedded source once per source version into
// TMPDIR/rwarden-forklib-EUID/HASH/. The directory must be ours and closed
// to others: a root template loads what it finds there.
func compileForkLibrary() (string, error) {
	sum := sha256.Sum256(forkLibSource)
	base := filepath.Join(os.TempDir(), fmt.Sprintf("rwarden-forklib-%d", os.Geteuid()))
	if err := os.Mkdir(base, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("fork library cache: %w", err)
	}
	if err := checkPrivateDir(base); err != nil {
		return "", err
	}
	dir := filepath.Join(base, hex.EncodeToString(sum[:8]))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("fork library cache: %w", err)
	}
	if err := checkPrivateDir(dir); err != nil {
		return "", err
	}
	lib := filepath.Join(dir, ForkLibraryName)
	if st, err := os.Lstat(lib); err == nil && st.Mode().IsRegular() {
		return lib, nil
	}
	src := filepath.Join(dir, "rwarden_fork.c")
	if err := os.WriteFile(src, forkLibSource, 0o600); err != nil {
		return "", fmt.Errorf("fork library source: %w", err)
	}
	tmp := lib + fmt.Sprintf(".%d.tmp", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "gcc", "-O2", "-Wall", "-fPIC", "-shared", "-o", tmp, src).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("compiling the fork library (gcc; `make build` installs a prebuilt %s next to rwarden): %v: %s", ForkLibraryName, err, out)
	}
	if err := os.Rename(tmp, lib); err != nil {
		return "", fmt.Errorf("fork library: %w", err)
	}
	return lib, nil
}

// checkPrivateDir makes sure dir is a real directory owned by us and closed
// to everyone else.
func checkPrivateDir(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("fork library cache: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Geteuid() || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("fork library cache %s is not a private directory of uid %d", dir, os.Geteuid())
	}
	return nil
}
