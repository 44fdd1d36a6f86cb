package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// versionLines are what every `rwarden version` report must show, checked
// against this host: the Go that built the test, the installed R, a
// libseccomp version and a Landlock ABI.
var versionLines = []struct {
	name string
	re   string
}{
	{"rwarden", `(?m)^rwarden \S+$`},
	{"commit", `(?m)^commit: +\S+$`},
	{"built", `(?m)^built: +\S+$`},
	{"go", `(?m)^go: +` + regexp.QuoteMeta(runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) + `$`},
	{"R", `(?m)^R: +R version \d+\.\d+\.\d+.* \(` + regexp.QuoteMeta(sandbox.DefaultRHome) + `\)$`},
	{"libseccomp", `(?m)^libseccomp: +2\.\d+\.\d+$`},
	{"landlock", `(?m)^landlock: +ABI \d+`},
}

func TestVersionReport(t *testing.T) {
	out, errOut, code := runCommand(newVersionCmd(), "")
	require.Equal(t, 0, code, errOut)
	for _, l := range versionLines {
		assert.Regexp(t, l.re, out, l.name)
	}

	// Without R the report still comes, and says why R is missing.
	out, _, code = runCommand(newVersionCmd(), "", "--r-home", filepath.Join(t.TempDir(), "no-R"))
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^R: +unavailable \(.*no-R: .*\)$`, out)
}

// TestVersionFromLdflags builds the binary the way the Makefile does and
// checks that `--version` and `version` both report what -ldflags set.
func TestVersionFromLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "rwarden")
	ldflags := "-X main.version=9.8.7-test -X main.commit=0123abc -X main.buildDate=2026-12-04T00:00:00Z"
	out, err := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))

	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(bin, args...).Output()
		require.NoError(t, err, "%v", args)
		assert.Regexp(t, `(?m)^rwarden 9\.8\.7-test$`, string(out), "%v", args)
		assert.Regexp(t, `(?m)^commit: +0123abc$`, string(out), "%v", args)
		assert.Regexp(t, `(?m)^built: +2026-12-04T00:00:00Z$`, string(out), "%v", args)
		for _, l := range versionLines {
			assert.Regexp(t, l.re, string(out), "%v: %s", args, l.name)
		}
	}
}
