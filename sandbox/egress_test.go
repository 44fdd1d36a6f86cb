package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// egressFilterEnv makes TestEgressFilterChild load a filter and try socket
// families in a copy of this test binary (a loaded filter cannot be undone).
const egressFilterEnv = "RWARDEN_TEST_EGRESS_FILTER"

var socketFamilies = []struct {
	name   string
	family int
	typ    int
}{
	{"AF_UNIX stream", unix.AF_UNIX, unix.SOCK_STREAM | unix.SOCK_CLOEXEC},
	{"AF_UNIX datagram", unix.AF_UNIX, unix.SOCK_DGRAM},
	{"AF_INET stream", unix.AF_INET, unix.SOCK_STREAM},
	{"AF_INET datagram", unix.AF_INET, unix.SOCK_DGRAM},
	{"AF_INET6 stream", unix.AF_INET6, unix.SOCK_STREAM},
	{"AF_NETLINK", unix.AF_NETLINK, unix.SOCK_RAW},
	{"AF_PACKET", unix.AF_PACKET, unix.SOCK_RAW},
	{"AF_INET with high bits", unix.AF_INET | 1<<32, unix.SOCK_STREAM},
}

// TestEgressFilterChild is the helper process; it does nothing in a normal run.
func TestEgressFilterChild(t *testing.T) {
	which := os.Getenv(egressFilterEnv)
	if which == "" {
		t.Skip("helper process of TestEgressSeccompFilter")
	}
	runtime.LockOSThread()
	build := buildSeccompFilter
	if which == "egress" {
		build = buildEgressSeccompFilter
	}
	f, err := build()
	require.NoError(t, err)
	require.NoError(t, f.Load())
	for _, s := range socketFamilies {
		fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(s.family), uintptr(s.typ), 0)
		if e == 0 {
			unix.Close(int(fd))
		}
		fmt.Printf("RESULT %s=%d\n", s.name, int(e))
	}
	sp, _, e := unix.RawSyscall6(unix.SYS_SOCKETPAIR, unix.AF_UNIX, unix.SOCK_STREAM, 0, 0, 0, 0)
	_ = sp
	fmt.Printf("RESULT socketpair=%d\n", int(e))
}

func filterResults(t *testing.T, which string) map[string]int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEgressFilterChild$", "-test.v")
	cmd.Env = append(os.Environ(), egressFilterEnv+"="+which)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	res := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			k, v, _ := strings.Cut(rest, "=")
			var n int
			_, _ = fmt.Sscan(v, &n)
			res[k] = n
		}
	}
	require.Len(t, res, len(socketFamilies)+1, string(out))
	return res
}

func TestEgressSeccompFilter(t *testing.T) {
	eperm := int(unix.EPERM)
	worker := filterResults(t, "worker")
	egress := filterResults(t, "egress")
	for _, s := range socketFamilies {
		assert.Equal(t, eperm, worker[s.name], "worker filter: %s", s.name)
		if s.family == unix.AF_UNIX {
			assert.Equal(t, 0, egress[s.name], "egress filter allows %s", s.name)
		} else {
			assert.Equal(t, eperm, egress[s.name], "egress filter denies %s", s.name)
		}
	}
	assert.Equal(t, eperm, worker["socketpair"])
	assert.Equal(t, eperm, egress["socketpair"], "socketpair stays denied")
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("egress sockets need root (a private filesystem view); this test runs as root")
	}
}

func needRPackages(t *testing.T, pkgs ...string) {
	t.Helper()
	for _, p := range pkgs {
		out, err := exec.Command(filepath.Join(DefaultRHome, "bin", "Rscript"), "--vanilla", "-e",
			"cat(requireNamespace('"+p+"', quietly = TRUE))").Output()
		if err != nil || !bytes.Contains(out, []byte("TRUE")) {
			t.Skipf("R package %s is not installed (scripts/install-deps.sh installs r-cran-rpostgresql)", p)
		}
	}
}

func acquireEgress(t *testing.T, p *Pool) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := p.Acquire(ctx, Binding{User: "test", Limits: testLimits(), UnixSockets: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// A worker with Unix sockets reaches a socket rwarden placed in its view
// through libpq (RPostgreSQL): the startup message arrives at rwarden.
func TestEgressSocketReachable(t *testing.T) {
	needR(t)
	needRoot(t)
	needRPackages(t, "DBI", "RPostgreSQL")
	p := newTestPool(t, nil)
	s := acquireEgress(t, p)
	ln, path, err := s.ListenUnix("pg", ".s.PGSQL.5432")
	require.NoError(t, err)
	defer ln.Close()
	assert.Equal(t, "/run/rwarden/egress/pg/.s.PGSQL.5432", path)

	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 1024)
		n, _ := c.Read(buf)
		got <- buf[:n]
	}()
	res := eval(t, s, `suppressMessages({library(DBI); library(RPostgreSQL)})
stopifnot(Sys.getenv("RWARDEN_EGRESS") == "/run/rwarden/egress")
r <- tryCatch(dbConnect(PostgreSQL(), host = "/run/rwarden/egress/pg", port = 5432, user = "alice", dbname = "d"),
              error = function(e) conditionMessage(e))
cat("done\n")`)
	require.Empty(t, res.Error, res.Output)
	assert.Contains(t, string(res.Output), "done")
	select {
	case b := <-got:
		assert.Contains(t, string(b), "user\x00alice\x00", "libpq's startup message reached rwarden")
	case <-time.After(30 * time.Second):
		t.Fatal("nothing connected to the egress socket")
	}
}

// The same worker still has no network: TCP from R fails however it is
// asked for, and nothing arrives at a listener on the host's loopback.
func TestEgressWorkerHasNoNetwork(t *testing.T) {
	needR(t)
	needRoot(t)
	p := newTestPool(t, nil)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer tcp.Close()
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := tcp.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	port := tcp.Addr().(*net.TCPAddr).Port
	s := acquireEgress(t, p)
	ln, _, err := s.ListenUnix("pg", ".s.PGSQL.5432")
	require.NoError(t, err)
	defer ln.Close()
	for _, code := range []string{
		fmt.Sprintf(`socketConnection("127.0.0.1", port = %d, blocking = TRUE, timeout = 2)`, port),
		fmt.Sprintf(`make.socket("127.0.0.1", %d)`, port),
		fmt.Sprintf(`url("http://127.0.0.1:%d/", open = "r")`, port),
		`socketConnection("127.0.0.1", port = 5432, blocking = TRUE, timeout = 2)`,
	} {
		res := eval(t, s, code)
		assert.NotEmpty(t, res.Error, "%s must fail: %s", code, res.Output)
	}
	select {
	case <-accepted:
		t.Fatal("a worker reached the host's loopback")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestEgressRefusedWithoutPrivateView(t *testing.T) {
	needR(t)
	p := newTestPool(t, func(c *Config) { c.Insecure = true; c.Warm = 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.Acquire(ctx, Binding{User: "test", Limits: testLimits(), UnixSockets: true})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrEgressUnavailable), err.Error())
}

func TestEgressListenNeedsBinding(t *testing.T) {
	needR(t)
	needRoot(t)
	p := newTestPool(t, nil)
	s := acquire(t, p, testLimits())
	_, _, err := s.ListenUnix("pg", ".s.PGSQL.5432")
	require.Error(t, err)
	for _, bad := range [][2]string{{"..", "x"}, {"a/b", "x"}, {"pg", ""}, {"pg", "../../x"}} {
		s2 := acquireEgress(t, p)
		_, _, err := s2.ListenUnix(bad[0], bad[1])
		assert.Error(t, err, "%q", bad)
		s2.Close()
	}
}
