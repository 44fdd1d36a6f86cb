package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// rLayout is where an R installation keeps its parts. Debian splits R over
// /usr/lib/R, /usr/share/R and /etc/R; the bin/R shell script knows where,
// and since workers exec bin/exec/R directly, rwarden reads it from there.
type rLayout struct {
	Home, ShareDir, IncludeDir, DocDir string
}

var rScriptVar = regexp.MustCompile(`^(R_SHARE_DIR|R_INCLUDE_DIR|R_DOC_DIR)=(\S+)$`)

func findRLayout(home string) (rLayout, error) {
	l := rLayout{Home: home,
		ShareDir:   filepath.Join(home, "share"),
		IncludeDir: filepath.Join(home, "include"),
		DocDir:     filepath.Join(home, "doc"),
	}
	bin := filepath.Join(home, "bin", "exec", "R")
	if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
		return l, fmt.Errorf("no R executable at %s (is R installed? set the R home)", bin)
	}
	f, err := os.Open(filepath.Join(home, "bin", "R"))
	if err != nil {
		return l, nil // no wrapper script: R's own defaults under R_HOME
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := rScriptVar.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil || strings.ContainsAny(m[2], "$`\"'") {
			continue
		}
		switch m[1] {
		case "R_SHARE_DIR":
			l.ShareDir = m[2]
		case "R_INCLUDE_DIR":
			l.IncludeDir = m[2]
		case "R_DOC_DIR":
			l.DocDir = m[2]
		}
	}
	return l, nil
}

// workerEnv is the complete environment of a worker's R: what R needs and
// nothing of rwarden's own environment.
func workerEnv(l rLayout, scratch string) []string {
	return []string{
		"R_HOME=" + l.Home,
		"R_SHARE_DIR=" + l.ShareDir,
		"R_INCLUDE_DIR=" + l.IncludeDir,
		"R_DOC_DIR=" + l.DocDir,
		"LD_LIBRARY_PATH=" + filepath.Join(l.Home, "lib"),
		"HOME=" + scratch,
		"TMPDIR=" + scratch,
		"LANG=C.UTF-8",
		"R_DEFAULT_PACKAGES=NULL",
		"PATH=/usr/bin:/bin",
	}
}

// rArgs: no profiles, no saved workspace, no echo of the harness read from
// standard input.
var rArgs = []string{"R", "--vanilla", "--no-echo", "--no-readline"}

// landlockFor lists what a worker may read, write and execute (and, for the
// minimal view as root, the symlinks on the way to it).
func landlockFor(l rLayout, rBinary, loader, scratch string) landlockSpec {
	s := landlockSpec{
		ReadDirs: existing(
			l.Home, l.ShareDir, l.IncludeDir, l.DocDir,
			filepath.Join(l.Home, "etc"), "/etc/R", // Debian links R_HOME/etc/* into /etc/R
			"/usr/local/lib/R", // site libraries
			"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/lib/x86_64-linux-gnu",
			"/usr/lib/locale", "/usr/share/locale", "/usr/share/zoneinfo", "/usr/share/i18n",
			"/usr/share/fonts", "/etc/fonts", "/var/cache/fontconfig",
		),
		ReadFiles: existing(
			"/etc/ld.so.cache", "/etc/localtime", "/etc/locale.alias", "/dev/urandom",
			"/usr/lib/libR.so",
			"/sys/devices/system/cpu/possible", "/sys/devices/system/cpu/online",
		),
		ExecFiles:  existing(rBinary, loader),
		WriteDirs:  []string{scratch},
		WriteFiles: existing("/dev/null"),
	}
	if os.Geteuid() == 0 || rootlessSupported() {
		s.ViewLinks = cachedViewLinks(s, rBinary, workerEnv(l, scratch))
	}
	return s
}
