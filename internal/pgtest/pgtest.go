// Package pgtest starts a real, temporary PostgreSQL cluster on loopback
// for tests of network egress (initdb and pg_ctl of the installed
// PostgreSQL; as root the cluster runs as the postgres or nobody user).
// Tests skip with a clear message when PostgreSQL is not installed.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is a running temporary PostgreSQL.
type Cluster struct {
	// Port is its TCP port on 127.0.0.1.
	Port int
	// User is its superuser (trust authentication on loopback).
	User string
	bin  string
	cred *syscall.Credential
	dir  string
	opts string // the server options it was started with
}

// SocketDir is the directory of its own Unix socket on the host.
func (c *Cluster) SocketDir() string { return c.dir }

// Addr is host:port of its loopback listener.
func (c *Cluster) Addr() string { return "127.0.0.1:" + strconv.Itoa(c.Port) }

// binDir finds PostgreSQL's server programs.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(r), nil
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
}

// runAs is the credential the cluster runs under: initdb refuses root.
func runAs() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name, nil
	}
	return nil, "", fmt.Errorf("running as root and there is no postgres or nobody user to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + c.dir}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// Start initialises and starts a cluster in a fresh directory, stopped when
// the test ends. It skips the test when PostgreSQL is not installed (fails
// it when the environment variable CI is set).
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		if os.Getenv("CI") != "" {
			// In CI a missing PostgreSQL would silently drop the store,
			// egress and cluster acceptance tests: fail instead.
			t.Fatalf("PostgreSQL is not installed (scripts/install-deps.sh installs postgresql): %v", err)
		}
		t.Skipf("PostgreSQL is not installed (scripts/install-deps.sh installs postgresql): %v", err)
	}
	cred, _, err := runAs()
	if err != nil {
		t.Skip(err.Error())
	}
	dir, err := os.MkdirTemp("", "rwarden-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	c := &Cluster{User: "rwtest", bin: bin, cred: cred, dir: dir}
	data := filepath.Join(dir, "data")
	if out, err := c.command("initdb", "-D", data, "-U", c.User, "--auth=trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if c.Port, err = freePort(); err != nil {
			t.Fatal(err)
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.Port, dir)
		out, err := c.command("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput()
		if err == nil {
			lastErr = nil
			break
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	if lastErr != nil {
		t.Fatal(lastErr)
	}
	c.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.Port, dir)
	t.Cleanup(func() {
		_ = c.command("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run()
	})
	return c
}

// DSN is a connection string for the cluster's superuser over loopback.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", c.User, c.Port)
}

// Stop stops the cluster (fast shutdown: connections are cut), for tests
// of an unreachable database.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.command("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Restart starts a stopped cluster again on the same port.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	if out, err := c.command("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-o", c.opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// SQL runs statements with psql over loopback TCP and returns its output
// (unaligned, tuples only).
func (c *Cluster) SQL(t testing.TB, sql string) string {
	t.Helper()
	psql := filepath.Join(c.bin, "psql")
	if _, err := os.Stat(psql); err != nil {
		psql = "/usr/bin/psql"
	}
	cmd := exec.Command(psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", c.User, "-d", "postgres", "-c", sql)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "PGCONNECT_TIMEOUT=10"}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("psql did not finish within 60s: %s", sql)
	}
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}
