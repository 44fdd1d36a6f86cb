package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/setup"
)

// pythonClientPaths are where the Python client is looked for, relative to
// the directory of the running binary: a source tree (bin/rwarden) and the
// Debian package (/usr/lib/rwarden/rwarden, client in /usr/share/rwarden).
var pythonClientPaths = []string{
	"../clients/python/rwarden_client.py",
	"../../share/rwarden/clients/python/rwarden_client.py",
}

// exeDir is the directory of the running binary (symbolic links resolved),
// "" when unknown.
func exeDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Dir(exe)
}

// selfCommand is how a user types this binary: "rwarden" when that name on
// PATH is this very file, else its absolute path (`make run` runs
// ./bin/rwarden, which is not on PATH).
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "rwarden"
	}
	if onPath, err := exec.LookPath("rwarden"); err == nil {
		a, errA := os.Stat(onPath)
		b, errB := os.Stat(exe)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return "rwarden"
		}
	}
	return exe
}

// absPath makes p absolute so that a printed command works from any
// directory; p is returned as it is if that fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// pythonClient is the absolute path of the Python client installed with
// the binary in exeDir, "" when there is none.
func pythonClient(exeDir string) string {
	for _, rel := range pythonClientPaths {
		p := filepath.Clean(filepath.Join(exeDir, rel))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// printBanner tells the operator of the embedded defaults how to connect,
// with commands that can be pasted as they are from any directory (only
// the password is to be filled in); self is how to run this binary.
func printBanner(w io.Writer, st *setup.DefaultState, self, exeDir string) {
	addr := st.Config.Listeners[0].Address
	host, port := addr[:max(strings.LastIndex(addr, ":"), 0)], addr[strings.LastIndex(addr, ":")+1:]
	ca := absPath(st.PKI.CACertPath)
	var b strings.Builder
	b.WriteString("\nrwarden is running on embedded defaults (state in " + absPath(st.Config.StateDir) + ")\n")
	b.WriteString("  listener: TLS on " + addr + ", CA certificate " + ca + "\n")
	if st.DemoPassword != "" {
		b.WriteString("  demo user: " + setup.DemoUser + "   password: " + st.DemoPassword + "\n")
		b.WriteString("  (shown only now; change it with: " + self + " user passwd --users " + absPath(st.Config.UsersFile) + " " + setup.DemoUser + ")\n")
	} else {
		b.WriteString("  demo user: " + setup.DemoUser + " (password as printed when it was created)\n")
	}
	b.WriteString("\nConnect with a password:\n")
	fmt.Fprintf(&b, "  RWARDEN_PASSWORD=... %s eval --addr %s --tls-ca %s --user %s -e 'R.version.string'\n", self, addr, ca, setup.DemoUser)
	if py := pythonClient(exeDir); py != "" {
		fmt.Fprintf(&b, "  echo 'summary(cars)' | RWARDEN_PASSWORD=... python3 %s --hostname %s --port %s --tls --ca %s --user %s\n",
			py, host, port, ca, setup.DemoUser)
	}
	b.WriteString("or with the demo client certificate:\n")
	fmt.Fprintf(&b, "  %s eval --addr %s --tls-ca %s --cert %s --key %s -e 'summary(cars)'\n", self, addr, ca, absPath(st.DemoCert), absPath(st.DemoKey))
	for _, l := range st.Config.Listeners {
		if l.Protocol == config.ProtocolHTTP {
			b.WriteString("or over the HTTP API (docs/http.md):\n")
			fmt.Fprintf(&b, "  curl --cacert %s -u %s:$RWARDEN_PASSWORD --json '{\"code\": \"summary(cars)\"}' https://%s/v1/eval\n", ca, setup.DemoUser, l.Address)
			break
		}
	}
	b.WriteString("\n")
	fmt.Fprint(w, b.String())
}
