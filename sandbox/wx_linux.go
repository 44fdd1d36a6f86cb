package sandbox

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Shared objects that W^X keeps from loading: one that asks for an
// executable stack (PT_GNU_STACK with PF_X, or no PT_GNU_STACK, which the
// x86-64 loader treats as executable) needs mprotect(PROT_EXEC) of the
// stack, and one with text relocations needs its code made writable and
// then executable again. dyn.load of such an object fails in a worker.

// wxIncompatible says why the ELF object at path cannot be loaded under
// W^X, or "" when it can; errNotELF for files that are not ELF objects.
func wxIncompatible(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return "", errNotELF
		}
		return "", err
	}
	defer f.Close()
	if f.Type != elf.ET_DYN && f.Type != elf.ET_EXEC {
		return "", errNotELF
	}
	var reasons []string
	stack := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_GNU_STACK {
			stack = true
			if p.Flags&elf.PF_X != 0 {
				reasons = append(reasons, "executable stack")
			}
		}
	}
	if !stack {
		reasons = append(reasons, "no PT_GNU_STACK (executable stack)")
	}
	if v, err := f.DynValue(elf.DT_TEXTREL); err == nil && len(v) > 0 {
		reasons = append(reasons, "text relocations")
	} else if v, err := f.DynValue(elf.DT_FLAGS); err == nil && len(v) > 0 && elf.DynFlag(v[0])&elf.DF_TEXTREL != 0 {
		reasons = append(reasons, "text relocations")
	}
	return strings.Join(reasons, ", "), nil
}

var errNotELF = errors.New("not an ELF object")

// wxIncompatibleObjects walks dirs for shared objects (*.so, *.so.N) that
// W^X keeps from loading, mapping each to the reason.
func wxIncompatibleObjects(dirs []string) (map[string]string, int, error) {
	bad := map[string]string{}
	seen := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable: a worker could not load it either
			}
			if !d.Type().IsRegular() || !(strings.HasSuffix(d.Name(), ".so") || strings.Contains(d.Name(), ".so.")) {
				return nil
			}
			why, err := wxIncompatible(path)
			if errors.Is(err, errNotELF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", path, err)
			}
			seen++
			if why != "" {
				bad[path] = why
			}
			return nil
		})
		if err != nil {
			return nil, seen, err
		}
	}
	return bad, seen, nil
}

// ProbeSharedObjects checks that every shared object of the R installation
// and its site libraries loads under W^X. It reads every object, so it is
// run by `rwarden sandbox check`, not at each pool start.
func ProbeSharedObjects(rHome string) Protection {
	p := Protection{Name: "R's shared objects load under W^X (no executable stack, no text relocations)"}
	layout, err := findRLayout(rHome)
	if err != nil {
		p.Detail = err.Error()
		return p
	}
	dirs := existing(filepath.Join(layout.Home, "lib"), filepath.Join(layout.Home, "library"),
		filepath.Join(layout.Home, "modules"), filepath.Join(layout.Home, "site-library"),
		"/usr/lib/R/site-library", "/usr/local/lib/R/site-library", "/usr/local/lib/R/library")
	bad, seen, err := wxIncompatibleObjects(dirs)
	if err != nil {
		p.Detail = err.Error()
		return p
	}
	if len(bad) == 0 {
		p.Active = true
		p.Detail = fmt.Sprintf("%d objects checked under %s", seen, strings.Join(dirs, ", "))
		return p
	}
	var list []string
	for path, why := range bad {
		list = append(list, path+" ("+why+")")
	}
	sort.Strings(list)
	p.Detail = fmt.Sprintf("dyn.load of these fails in a worker: %s", strings.Join(list, "; "))
	return p
}
