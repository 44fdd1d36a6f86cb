package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TinyPackage is the R package InstallTinyPackage builds: two exported
// functions, hello() and secret().
const TinyPackage = "rwtiny"

// InstallTinyPackage writes the source of a tiny R package, installs it
// with R CMD INSTALL into a new library directory that worker uids can
// reach (mode 0755, outside t.TempDir) and returns that directory.
func InstallTinyPackage(tb testing.TB) string {
	tb.Helper()
	Rscript(tb)
	src := tb.TempDir()
	pkg := filepath.Join(src, TinyPackage)
	files := map[string]string{
		"DESCRIPTION": "Package: " + TinyPackage + "\nVersion: 0.1\nTitle: rwarden test package\n" +
			"Description: Built at test time.\nAuthor: rwarden\nMaintainer: rwarden <rwarden@example.org>\nLicense: MIT\n",
		"NAMESPACE":  "export(hello, secret)\n",
		"R/hello.R":  "hello <- function(who = \"world\") paste(\"hello,\", who)\n",
		"R/secret.R": "secret <- function() \"the secret\"\n",
	}
	for name, body := range files {
		p := filepath.Join(pkg, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	lib, err := os.MkdirTemp("", "rwarden-test-lib-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(lib) })
	if err := os.Chmod(lib, 0o755); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("/usr/lib/R/bin/R", "CMD", "INSTALL", "--no-test-load", "-l", lib, pkg)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + src, "TMPDIR=" + src}
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("R CMD INSTALL %s: %v\n%s", pkg, err, out)
	}
	return lib
}
