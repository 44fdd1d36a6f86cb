package sandbox

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// landlockSpec lists what a worker may touch on the filesystem. Everything
// not listed is denied, including /proc of other processes, /home, /tmp,
// /etc (beyond the few files R reads) and other workers' scratch.
type landlockSpec struct {
	// ReadDirs: read files and list directories beneath, never execute.
	ReadDirs []string `json:"read_dirs"`
	// ReadFiles: read single files.
	ReadFiles []string `json:"read_files"`
	// ExecFiles: read and execute: only the R binary and its ELF loader.
	ExecFiles []string `json:"exec_files"`
	// WriteDirs: the worker's own scratch directory: full access but
	// execute (a binary written there cannot be run).
	WriteDirs []string `json:"write_dirs"`
	// WriteFiles: read and write single files (/dev/null).
	WriteFiles []string `json:"write_files"`
	// ViewLinks are the host symlinks the minimal view (root only)
	// recreates so that the paths above resolve in it as on the host;
	// computed by the parent (cachedViewLinks), nil to let the init find
	// them itself. Not a Landlock rule.
	ViewLinks map[string]string `json:"view_links,omitempty"`
}

// minLandlockABI is the oldest Landlock rwarden accepts: filesystem
// restrictions (ABI 1). Network rules (ABI 4) and scoped signals and
// abstract sockets (ABI 6) are applied when the kernel has them;
// `rwarden sandbox check` reports which are active. Sockets are denied by
// seccomp in every case.
const minLandlockABI = 1

// targetLandlock is the ABI whose rights rwarden asks for; older kernels get
// the subset they support (best effort above minLandlockABI).
var targetLandlock = landlock.V7

const (
	fsRead  = ll.AccessFSReadFile | ll.AccessFSReadDir
	fsFile  = ll.AccessFSReadFile
	fsExec  = ll.AccessFSReadFile | ll.AccessFSExecute
	fsRWDir = ll.AccessFSWriteFile | ll.AccessFSReadFile | ll.AccessFSReadDir |
		ll.AccessFSRemoveDir | ll.AccessFSRemoveFile | ll.AccessFSMakeDir |
		ll.AccessFSMakeReg | ll.AccessFSTruncate
	fsRWFile = ll.AccessFSWriteFile | ll.AccessFSReadFile | ll.AccessFSTruncate
)

// landlockABI returns the kernel's Landlock ABI version, 0 when absent.
func landlockABI() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

func applyLandlock(s landlockSpec) error {
	abi := landlockABI()
	if abi < minLandlockABI {
		return errors.New("this kernel has no Landlock (need ABI >= 1); refusing to start an unconfined R")
	}
	rules := []landlock.Rule{
		landlock.PathAccess(fsRead, s.ReadDirs...).IgnoreIfMissing(),
		landlock.PathAccess(fsFile, s.ReadFiles...).IgnoreIfMissing(),
		landlock.PathAccess(fsExec, s.ExecFiles...),
		landlock.PathAccess(fsRWDir, s.WriteDirs...),
		landlock.PathAccess(fsRWFile, s.WriteFiles...).IgnoreIfMissing(),
	}
	// Restrict handles filesystem rights, TCP bind/connect (no port is
	// granted) and the signal and abstract-socket scopes in one ruleset.
	if err := targetLandlock.BestEffort().Restrict(rules...); err != nil {
		return fmt.Errorf("applying Landlock: %w", err)
	}
	return nil
}

// elfInterpreter returns the ELF loader (PT_INTERP) of a binary: the one
// other file a worker must be able to execute.
func elfInterpreter(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		buf := make([]byte, p.Filesz)
		if _, err := p.ReadAt(buf, 0); err != nil {
			return "", fmt.Errorf("reading interpreter of %s: %w", path, err)
		}
		for len(buf) > 0 && buf[len(buf)-1] == 0 {
			buf = buf[:len(buf)-1]
		}
		return filepath.EvalSymlinks(string(buf))
	}
	return "", fmt.Errorf("%s has no ELF interpreter", path)
}

// existing keeps the paths that exist, resolved through symlinks (Landlock
// rules attach to what a path resolves to).
func existing(paths ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if _, err := os.Stat(r); err != nil || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}
