package proxy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// leanClientEnv, when set in this test binary's environment, makes it the
// lean QAP1 client of BenchmarkQAP1LeanRoundTrip instead of a test run:
// "ADDRESS TLS CAFILE PASSWORD CALLS".
const leanClientEnv = "RWARDEN_LEAN_QAP1_CLIENT"

// BenchmarkQAP1LeanRoundTrip (issue 12): the `1+1` round trip on an open
// QAP1 connection, measured by a lean socket client in a process of its
// own (this test binary re-executed: over plaintext it writes the command
// and reads the answer with blocking system calls on one locked thread, no
// Go scheduler or netpoller in the path; over TLS it uses crypto/tls),
// against rwarden (default configuration: fsync "interval", busy polling,
// alice's allowlisted session, every command policy-checked and audited)
// and Debian's Rserve 1.8 in the same run, Rserve unpinned and pinned to
// the client's CPU and to the other one, and behind a relay that only
// forwards bytes (goroutines on Go's netpoller, threads in blocking reads,
// or a thread spinning on both sockets). Targets interleave over RWARDEN_BENCH_ROUNDS rounds
// (default 3); each client logs in, evaluates 200 times, waits 2 s (the
// pool replaces the worker rwarden's session took) and then times
// RWARDEN_BENCH_CALLS (default 20000) calls one by one. Run with:
//
//	go test ./proxy -run '^$' -bench QAP1LeanRoundTrip -benchtime 1x -v
func BenchmarkQAP1LeanRoundTrip(b *testing.B) {
	if _, err := os.Stat("/usr/lib/R/site-library/Rserve"); err != nil {
		b.Skip("Rserve is not installed (make deps installs r-cran-rserve)")
	}
	const password = "bench-password-1"
	rounds := envInt("RWARDEN_BENCH_ROUNDS", 3)
	calls := envInt("RWARDEN_BENCH_CALLS", 20000)
	srv := startBenchServer(b, audit.FsyncInterval, password)
	rs := startRserve(b, srv.certPath, srv.keyPath, password)
	type target struct {
		name  string
		addrs [2]string // plaintext, TLS
		cpu   int       // the client's CPU, -1: not pinned
	}
	targets := []target{
		{"rwarden", [2]string{srv.plain, srv.tls}, -1},
		{"Rserve", rs, -1},
		{"Rserve-via-relay", [2]string{startRelay(b, rs[0], relayGo), startRelay(b, rs[1], relayGo)}, -1},
		{"Rserve-via-blocking-relay", [2]string{startRelay(b, rs[0], relayBlocking), startRelay(b, rs[1], relayBlocking)}, -1},
		{"Rserve-via-spin-relay", [2]string{startRelay(b, rs[0], relaySpin), startRelay(b, rs[1], relaySpin)}, -1},
	}
	if runtime.NumCPU() >= 2 {
		targets = append(targets,
			target{"Rserve-pinned-same-CPU", startRserveOn(b, srv.certPath, srv.keyPath, password, 0), 0},
			target{"Rserve-pinned-other-CPU", startRserveOn(b, srv.certPath, srv.keyPath, password, 1), 0})
	}
	if only := os.Getenv("RWARDEN_BENCH_ONLY"); only != "" {
		targets = slices.DeleteFunc(targets, func(t target) bool { return !strings.Contains(t.name, only) })
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	p50 := map[string][]float64{}
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			for _, t := range targets {
				for i, transport := range []string{"plaintext", "tls"} {
					cmd := exec.Command(self)
					cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %v %s %s %d", leanClientEnv, t.addrs[i], i == 1, srv.ca, password, calls))
					if t.cpu >= 0 {
						cmd.Args = []string{"taskset", "-c", strconv.Itoa(t.cpu), self}
						cmd.Path, err = exec.LookPath("taskset")
						if err != nil {
							b.Fatal(err)
						}
					}
					out, err := cmd.CombinedOutput()
					if err != nil {
						b.Fatalf("%s %s: lean client: %v\n%s", t.name, transport, err, out)
					}
					var q [3]float64 // p50, p90, p99 in µs
					if _, err := fmt.Sscanf(lastLine(out), "LEAN %f %f %f", &q[0], &q[1], &q[2]); err != nil {
						b.Fatalf("%s %s: lean client said %q", t.name, transport, out)
					}
					key := t.name + "/" + transport
					p50[key] = append(p50[key], q[0])
					b.Logf("round %d %-24s %-9s p50 %6.1f µs  p90 %6.1f µs  p99 %6.1f µs", r+1, t.name, transport, q[0], q[1], q[2])
				}
			}
		}
	}
	b.StopTimer()
	for _, t := range targets {
		for _, transport := range []string{"plaintext", "tls"} {
			v := p50[t.name+"/"+transport]
			slices.Sort(v)
			b.ReportMetric(v[len(v)/2], t.name+"/"+transport+"/p50-µs")
		}
	}
	for _, transport := range []string{"plaintext", "tls"} {
		var line strings.Builder
		fmt.Fprintf(&line, "median of round p50s, %s:", transport)
		for _, t := range targets {
			v := p50[t.name+"/"+transport]
			fmt.Fprintf(&line, " %s %.1f µs;", t.name, v[len(v)/2])
		}
		b.Log(line.String())
	}
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// leanClientMain is the lean client's whole run; it reports whether this
// process was one (then TestMain exits with its status).
func leanClientMain() (bool, int) {
	spec := os.Getenv(leanClientEnv)
	if spec == "" {
		return false, 0
	}
	if err := leanClient(spec); err != nil {
		fmt.Fprintln(os.Stderr, "lean client:", err)
		return true, 1
	}
	return true, 0
}

func leanClient(spec string) error {
	f := strings.Fields(spec)
	if len(f) != 5 {
		return fmt.Errorf("spec %q", spec)
	}
	addr, useTLS, ca, password := f[0], f[1] == "true", f[2], f[3]
	calls, err := strconv.Atoi(f[4])
	if err != nil {
		return err
	}
	var rw io.ReadWriter
	if useTLS {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err != nil {
			return err
		}
		defer c.Close()
		rw = c
	} else {
		runtime.LockOSThread()
		fd, err := dialBlocking(addr)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		rw = fdConn(fd)
	}
	br := bufio.NewReaderSize(rw, 64<<10)
	var id [32]byte
	if _, err := io.ReadFull(br, id[:]); err != nil {
		return fmt.Errorf("ID string: %w", err)
	}
	call := func(msg []byte) error {
		if _, err := rw.Write(msg); err != nil {
			return err
		}
		var h [16]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return err
		}
		n := int64(binary.LittleEndian.Uint32(h[4:])) | int64(binary.LittleEndian.Uint32(h[12:]))<<32
		if n < 0 || n > 1<<20 {
			return fmt.Errorf("answer of %d bytes", n)
		}
		if _, err := br.Discard(int(n)); err != nil {
			return err
		}
		if cmd := int32(binary.LittleEndian.Uint32(h[:])); cmd != qap1.RespOK {
			return fmt.Errorf("answer %#x", cmd)
		}
		return nil
	}
	if err := call(qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice\n"+password))); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	eval := qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1"))
	for range 200 {
		if err := call(eval); err != nil {
			return err
		}
	}
	time.Sleep(2 * time.Second)
	lat := make([]time.Duration, calls)
	for i := range lat {
		t0 := time.Now()
		if err := call(eval); err != nil {
			return err
		}
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e3 }
	fmt.Printf("LEAN %.1f %.1f %.1f\n", q(0.5), q(0.9), q(0.99))
	return nil
}

// dialBlocking connects a blocking TCP socket (Nagle off, as Rserve's and
// rwarden's own sockets are), so that a read sleeps in the kernel.
func dialBlocking(addr string) (int, error) {
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa := &unix.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// fdConn reads and writes a blocking descriptor with plain system calls.
type fdConn int

func (c fdConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(c), p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c fdConn) Write(p []byte) (int, error) {
	for off := 0; off < len(p); {
		n, err := unix.Write(int(c), p[off:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return off, err
		}
		off += n
	}
	return len(p), nil
}
