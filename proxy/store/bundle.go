package store

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Bundle is one policy version's documents by relative path: UsersFile,
// TokensFile and the policy directory's files under PoliciesPrefix.
type Bundle map[string]string

// Names of the documents in a bundle.
const (
	UsersFile      = "users.txt"
	TokensFile     = "tokens.txt"
	PoliciesPrefix = "policies/"
)

// Limits on what a bundle read from the store may hold: it is written to
// the node's disk, so a corrupt or hostile row must not fill it.
const (
	maxDocBytes    = 4 << 20 // as a policy file
	maxBundleBytes = 64 << 20
	maxBundleDocs  = 10000
)

var bundleNameRE = regexp.MustCompile(`^(users\.txt|tokens\.txt|policies/model\.conf|policies/(roles|users)/[A-Za-z0-9_][A-Za-z0-9._@-]{0,127}\.csv)$`)

// Validate checks names and sizes: only the documents above, no path that
// could leave the directory it is written to, bounded sizes.
func (b Bundle) Validate() error {
	if len(b) > maxBundleDocs {
		return fmt.Errorf("bundle has %d documents, more than %d", len(b), maxBundleDocs)
	}
	total := 0
	for name, text := range b {
		if !bundleNameRE.MatchString(name) || strings.Contains(name, "..") {
			return fmt.Errorf("bundle document name %q is not allowed", name)
		}
		if len(text) > maxDocBytes {
			return fmt.Errorf("bundle document %s is %d bytes, more than %d", name, len(text), maxDocBytes)
		}
		total += len(text)
	}
	if total > maxBundleBytes {
		return fmt.Errorf("bundle is %d bytes, more than %d", total, maxBundleBytes)
	}
	if _, ok := b[PoliciesPrefix+"model.conf"]; !ok {
		return fmt.Errorf("bundle has no %smodel.conf", PoliciesPrefix)
	}
	return nil
}

// Names returns the document names, sorted.
func (b Bundle) Names() []string {
	out := make([]string, 0, len(b))
	for n := range b {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Clone returns a copy to edit.
func (b Bundle) Clone() Bundle {
	out := make(Bundle, len(b))
	for k, v := range b {
		out[k] = v
	}
	return out
}

// SetPolicies replaces the policy documents with those of dir (model.conf,
// roles/*.csv, users/*.csv), keeping the users and tokens files.
func (b Bundle) SetPolicies(dir string) error {
	for n := range b {
		if strings.HasPrefix(n, PoliciesPrefix) {
			delete(b, n)
		}
	}
	add := func(rel string) error {
		data, err := readBounded(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		b[PoliciesPrefix+rel] = string(data)
		return nil
	}
	if err := add("model.conf"); err != nil {
		return err
	}
	for _, sub := range []string{"roles", "users"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.csv"))
		if err != nil {
			return fmt.Errorf("listing %s: %w", sub, err)
		}
		for _, f := range files {
			if strings.HasPrefix(filepath.Base(f), ".") {
				continue
			}
			if err := add(sub + "/" + filepath.Base(f)); err != nil {
				return err
			}
		}
	}
	return b.Validate()
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxDocBytes {
		return nil, fmt.Errorf("reading %s: not a regular file of at most %d bytes", path, maxDocBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// WriteDir writes the bundle under dir (created, mode 0700; files 0600),
// which must not exist yet. An empty users or tokens file is written too,
// so that the node's loaders find them.
func (b Bundle) WriteDir(dir string) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("writing policy version: %w", err)
	}
	for _, sub := range []string{"policies", "policies/roles", "policies/users"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("writing policy version: %w", err)
		}
	}
	for _, name := range []string{UsersFile, TokensFile} {
		if _, ok := b[name]; !ok {
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
				return fmt.Errorf("writing policy version: %w", err)
			}
		}
	}
	for name, text := range b {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(text), 0o600); err != nil {
			return fmt.Errorf("writing policy version: %w", err)
		}
	}
	return nil
}

// Local is the node's directory of materialised versions: v<N>/ for each
// version written and "current", a symbolic link to the one in force,
// swapped atomically so that a reload never sees half of two versions.
type Local struct{ Dir string }

// Current is the path the node's loaders read through.
func (l Local) Current() string { return filepath.Join(l.Dir, "current") }

// UsersFile and PoliciesDir are the node's users file and policy directory.
func (l Local) UsersFile() string   { return filepath.Join(l.Current(), UsersFile) }
func (l Local) PoliciesDir() string { return filepath.Join(l.Current(), "policies") }

// CurrentVersion is the version "current" points to; 0 when there is none.
func (l Local) CurrentVersion() int64 {
	target, err := os.Readlink(l.Current())
	if err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(target, "v"), 10, 64)
	if err != nil || !strings.HasPrefix(target, "v") || v <= 0 {
		return 0
	}
	return v
}

// Install writes version v and points "current" to it; versions older
// than keep (the one in force before, which a rejected v falls back to)
// and v-1 (a reload may still read it) are removed.
func (l Local) Install(v int64, b Bundle, keep int64) error {
	if err := l.write(v, b); err != nil {
		return err
	}
	if err := l.Point(v); err != nil {
		return err
	}
	l.prune(min(v-1, max(keep, 1)))
	return nil
}

// write writes version v's directory, unless it is there already.
func (l Local) write(v int64, b Bundle) error {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return fmt.Errorf("store directory: %w", err)
	}
	final := filepath.Join(l.Dir, versionDir(v))
	if _, err := os.Lstat(final); err != nil {
		tmp := final + ".tmp"
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("store directory: %w", err)
		}
		if err := b.WriteDir(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("store directory: %w", err)
		}
	}
	return nil
}

// Write writes version v like Install but leaves "current" where it is;
// the caller points it at v with Point when it applies v.
func (l Local) Write(v int64, b Bundle, keep int64) error {
	if err := l.write(v, b); err != nil {
		return err
	}
	l.prune(min(v-1, max(keep, 1)))
	return nil
}

// Point swaps "current" to version v, already written.
func (l Local) Point(v int64) error {
	name := versionDir(v)
	if _, err := os.Lstat(filepath.Join(l.Dir, name)); err != nil {
		return fmt.Errorf("store directory: version %d: %w", v, err)
	}
	link := filepath.Join(l.Dir, "current.tmp")
	_ = os.Remove(link)
	if err := os.Symlink(name, link); err != nil {
		return fmt.Errorf("store directory: %w", err)
	}
	if err := os.Rename(link, l.Current()); err != nil {
		return fmt.Errorf("store directory: %w", err)
	}
	return nil
}

func versionDir(v int64) string { return "v" + strconv.FormatInt(v, 10) }

// prune removes versions older than oldest.
func (l Local) prune(oldest int64) {
	entries, err := os.ReadDir(l.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), "v")
		if !ok {
			continue
		}
		if old, err := strconv.ParseInt(n, 10, 64); err == nil && old < oldest {
			_ = os.RemoveAll(filepath.Join(l.Dir, e.Name()))
		}
	}
}
