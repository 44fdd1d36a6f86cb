// Package testutil holds helpers shared by the test suites of several
// packages (running real R, inspecting processes). It is imported by tests
// only and is not part of rwarden's runtime or of any threat-model layer.
package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Rscript returns the path of Rscript, skipping the test under -short or
// when R is not installed (make deps installs it).
func Rscript(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs R (skipped by -short)")
	}
	if _, err := os.Stat("/usr/lib/R/bin/Rscript"); err == nil {
		return "/usr/lib/R/bin/Rscript"
	}
	p, err := exec.LookPath("Rscript")
	if err != nil {
		tb.Skip("R is not installed (make deps installs it)")
	}
	return p
}

// RunR runs an R script with real R in dir and returns its standard
// output; the test fails with R's standard error if the script fails.
func RunR(tb testing.TB, dir, script string) string {
	tb.Helper()
	return RunRWithin(tb, dir, script, 2*time.Minute)
}

// RunRWithin is RunR with a time limit of its own, for client scripts
// that loop against a server.
func RunRWithin(tb testing.TB, dir, script string, limit time.Duration) string {
	tb.Helper()
	rs := Rscript(tb)
	f := filepath.Join(dir, "script.R")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, rs, "--vanilla", f)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("Rscript failed: %v: %s\n%s", err, stderr.String(), out)
	}
	return string(out)
}

// NeedRPackage skips the test when the R package pkg is not installed
// (Debian packages it as r-cran-<name>).
func NeedRPackage(tb testing.TB, pkg string) {
	tb.Helper()
	out := RunR(tb, tb.TempDir(), fmt.Sprintf("cat(requireNamespace(%s, quietly = TRUE))", RString(pkg)))
	if strings.TrimSpace(out) != "TRUE" {
		tb.Skipf("the R package %s is not installed (r-cran-%s)", pkg, strings.ToLower(pkg))
	}
}

// RString quotes s as an R string literal in ASCII: backslash escapes for
// quotes and backslashes, \u{...} for control and non-ASCII characters.
func RString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r >= 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ChildrenOf lists the pids whose parent is pid.
func ChildrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		var state string
		var ppid int
		if _, err := fmt.Sscanf(s[i+1:], " %s %d", &state, &ppid); err == nil && ppid == pid {
			out = append(out, p)
		}
	}
	return out
}
