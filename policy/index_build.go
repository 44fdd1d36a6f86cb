package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/renameio/v2"
)

//go:embed exports.R
var exportsScript string

const (
	indexCacheFile = "exports-index.json"
	// indexBuildTimeout bounds one run of R listing exports; loading every
	// installed namespace takes seconds, not minutes.
	indexBuildTimeout = 2 * time.Minute
	// maxIndexOutput bounds what we accept from that run.
	maxIndexOutput = 64 << 20
)

// DefaultRHome is used when Config.RHome is empty.
const DefaultRHome = "/usr/lib/R"

// loadIndex returns the exports index for the R at rHome, from cacheDir when
// the cached copy still describes this R, otherwise by running R.
func loadIndex(ctx context.Context, rHome, cacheDir string, log *slog.Logger) (*Index, error) {
	return loadIndexWith(ctx, rHome, nil, cacheDir, log)
}

// loadIndexWith is loadIndex with extra library trees (Config.LibPaths)
// ahead of R's own: a cached index serves only if it lists every one.
func loadIndexWith(ctx context.Context, rHome string, libs []string, cacheDir string, log *slog.Logger) (*Index, error) {
	var cachePath string
	if cacheDir != "" {
		cachePath = filepath.Join(cacheDir, indexCacheFile)
		if ix, err := readIndexCache(cachePath); err == nil {
			if ix.Fingerprint == fingerprintR(rHome, ix.LibPaths) && hasAll(ix.LibPaths, libs) {
				log.Debug("exports index from cache", "path", cachePath)
				return ix, nil
			}
			log.Info("installed R changed; rebuilding the exports index", "path", cachePath)
		} else if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("ignoring unreadable exports index cache", "path", cachePath, "err", err)
		}
	}
	start := time.Now()
	ix, err := buildIndex(ctx, rHome, libs)
	if err != nil {
		return nil, err
	}
	ix.Fingerprint = fingerprintR(rHome, ix.LibPaths)
	log.Info("built the exports index", "r", ix.RVersion, "packages", len(ix.Packages), "took", time.Since(start).Round(time.Millisecond))
	for pkg, why := range ix.Failed {
		log.Warn("package left out of the exports index: R could not load it", "package", pkg, "err", why)
	}
	if cachePath != "" {
		if err := writeIndexCache(cachePath, ix); err != nil {
			// A missing cache costs a few seconds at the next start; it is
			// not a reason to refuse to run.
			log.Warn("could not cache the exports index", "path", cachePath, "err", err)
		}
	}
	return ix, nil
}

// buildIndex runs R (trusted, outside any sandbox) to list its exports.
func buildIndex(ctx context.Context, rHome string, libs []string) (*Index, error) {
	for _, l := range libs {
		if !filepath.IsAbs(l) || strings.ContainsAny(l, ":\x00\n") {
			return nil, fmt.Errorf("library path %q is not an absolute path without ':'", l)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, indexBuildTimeout)
	defer cancel()
	rscript := filepath.Join(rHome, "bin", "Rscript")
	cmd := exec.CommandContext(ctx, rscript, "--vanilla", "-e", exportsScript)
	// A small, fixed environment: the index must describe what a worker
	// (which also starts from a clean environment) sees, not whatever
	// R_LIBS or R_DEFAULT_PACKAGES the operator's shell happens to hold.
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"HOME=" + os.TempDir(),
		"R_HOME=" + rHome,
		"DISPLAY=",
	}
	if len(libs) > 0 {
		// The configured library trees, as the workers that have them see
		// them (sandbox.Mount, Library): ahead of R's own.
		cmd.Env = append(cmd.Env, "R_LIBS="+strings.Join(libs, ":"))
	}
	cmd.Dir = os.TempDir()
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxIndexOutput, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("listing R's exports with %s: %w: %s", rscript, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if stdout.overflow {
		return nil, fmt.Errorf("listing R's exports: output exceeds %d bytes", maxIndexOutput)
	}
	ix, err := parseIndexOutput(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("listing R's exports: %w", err)
	}
	return ix, nil
}

// hasAll reports whether every one of want is in have.
func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// limitedBuffer keeps at most max bytes and remembers that it overflowed.
type limitedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.overflow = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// fingerprintR summarises what the index depends on without running R:
// the R binary, base's DESCRIPTION (the R version), the Renviron files that
// set the library path, each library directory (packages added or removed)
// and each package's DESCRIPTION (packages upgraded in place, as dpkg does).
func fingerprintR(rHome string, libPaths []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "format %d\nrhome %s\n", indexFormat, rHome)
	stamp := func(path string) {
		fi, err := os.Stat(path)
		if err != nil {
			fmt.Fprintf(h, "%s absent\n", path)
			return
		}
		fmt.Fprintf(h, "%s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
	}
	stamp(filepath.Join(rHome, "bin", "exec", "R"))
	stamp(filepath.Join(rHome, "lib", "libR.so"))
	stamp(filepath.Join(rHome, "library", "base", "DESCRIPTION"))
	stamp(filepath.Join(rHome, "etc", "Renviron"))
	stamp(filepath.Join(rHome, "etc", "Renviron.site"))
	for _, lib := range libPaths {
		stamp(lib)
		entries, err := os.ReadDir(lib)
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s entries %d\n", lib, len(entries))
		for _, e := range entries {
			stamp(filepath.Join(lib, e.Name(), "DESCRIPTION"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func readIndexCache(path string) (*Index, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if ix.Format != indexFormat {
		return nil, fmt.Errorf("%s has index format %d, want %d", path, ix.Format, indexFormat)
	}
	if ix.Packages["base"] == nil {
		return nil, fmt.Errorf("%s lists no base package", path)
	}
	ix.prepare()
	return &ix, nil
}

// writeIndexCache writes atomically, so that a concurrent reader sees the
// old or the new index, never half of one.
func writeIndexCache(path string, ix *Index) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating cache dir: %w", err)
	}
	b, err := json.Marshal(ix)
	if err != nil {
		return fmt.Errorf("encoding index: %w", err)
	}
	// Temporary file, fsync, rename: a reader sees the old index or the
	// new one, never a part (the same writer as the proxy's files).
	if err := renameio.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("writing index cache %s: %w", path, err)
	}
	return nil
}
