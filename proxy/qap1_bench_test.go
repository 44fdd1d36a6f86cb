package proxy

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/setup"

	"golang.org/x/sys/unix"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/sandbox"
)

// BenchmarkQAP1RSclient compares rwarden's QAP1 front end with Debian's
// Rserve 1.8, in the same run, with the same client (RSclient in one
// Rscript process): the `1+1` round trip on an open connection (RS.eval),
// and connect + RSA login + `1+1` + close, each over plaintext loopback and
// over TLS. rwarden runs with its real sandbox, policy check and audit
// trail, with each audit fsync policy but batch: "interval" (the default),
// "always" and "never". Rserve is also measured behind a do-nothing relay
// (blocking, and spinning), the floor for any proxy process in front of R.
// Figures are reported as metrics (µs) and in the log; docs/benchmarks.md
// records a run. Run with: go test ./proxy -run '^$' -bench QAP1RSclient -benchtime 1x -v
func BenchmarkQAP1RSclient(b *testing.B) {
	rs := "/usr/lib/R/bin/Rscript"
	if _, err := os.Stat(rs); err != nil {
		b.Skip("R is not installed")
	}
	out, err := exec.Command(rs, "--vanilla", "-e",
		`cat(requireNamespace("RSclient", quietly = TRUE) && requireNamespace("Rserve", quietly = TRUE))`).Output()
	if err != nil || strings.TrimSpace(string(out)) != "TRUE" {
		b.Skip("RSclient and Rserve are needed (r-cran-rsclient, r-cran-rserve)")
	}
	const password = "bench-password-1"
	targets := map[string][3]string{} // name -> plaintext address, TLS address, CA file
	var srv *benchServer
	for _, fsync := range []string{audit.FsyncInterval, audit.FsyncAlways, audit.FsyncNever} {
		srv = startBenchServer(b, fsync, password)
		targets["rwarden fsync="+fsync] = [3]string{srv.plain, srv.tls, srv.ca}
	}
	// Rserve serves TLS with the last server's development certificate.
	rs2 := startRserve(b, srv.certPath, srv.keyPath, password)
	targets["Rserve 1.8"] = [3]string{rs2[0], rs2[1], srv.ca}
	// The same Rserve behind a proxy that does nothing but forward bytes:
	// the cost of the extra process alone (see startRelay).
	targets["Rserve 1.8 via relay"] = [3]string{startRelay(b, rs2[0], relayGo), startRelay(b, rs2[1], relayGo), srv.ca}
	targets["Rserve 1.8 via spin relay"] = [3]string{startRelay(b, rs2[0], relaySpin), startRelay(b, rs2[1], relaySpin), srv.ca}
	names := []string{"rwarden fsync=" + audit.FsyncInterval, "rwarden fsync=" + audit.FsyncAlways, "rwarden fsync=" + audit.FsyncNever,
		"Rserve 1.8", "Rserve 1.8 via relay", "Rserve 1.8 via spin relay"}
	// Rserve's round trip depends on where the scheduler puts its process
	// and the client's: on one CPU a hand-over is a context switch, on two
	// it wakes a halted virtual CPU. Both placements, pinned (the client
	// to CPU 0 for these rows only, Rserve to CPU 0 or 1).
	clientCPU := map[string]int{}
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() >= 2 {
		for cpu, n := range []string{"Rserve 1.8 pinned, same CPU", "Rserve 1.8 pinned, other CPU"} {
			a := startRserveOn(b, srv.certPath, srv.keyPath, password, cpu)
			targets[n] = [3]string{a[0], a[1], srv.ca}
			clientCPU[n] = 0
			names = append(names, n)
		}
	}
	const rounds, perRound, connects = 15, 200, 40
	var script strings.Builder
	fmt.Fprintf(&script, `
suppressMessages(library(RSclient))
pw <- %q
conn <- function(addr, tls, ca) {
  hp <- strsplit(addr, ":")[[1]]
  c <- if (tls) RS.connect(hp[1], as.integer(hp[2]), tls = TRUE, ca = ca) else RS.connect(hp[1], as.integer(hp[2]))
  RS.login(c, "alice", pw, authkey = RS.authkey(c))
  c
}
pin <- function(cpus) {
  if (system2("taskset", c("-p", "-c", cpus, Sys.getpid()), stdout = FALSE) != 0) stop("taskset failed")
}
measure <- function(name, addr, tls, ca) {
  c <- conn(addr, tls, ca)
  for (i in 1:100) RS.eval(c, 1+1)
  # The steady state of an open connection: rwarden's pool replaces the
  # worker this session took (an R start-up on one of the two CPUs), and
  # that is the connect figure's cost, not the round trip's.
  Sys.sleep(2)
  per <- numeric(0)
  for (r in 1:%d) {
    t0 <- Sys.time(); for (i in 1:%d) RS.eval(c, 1+1)
    per <- c(per, as.numeric(Sys.time() - t0, units = "secs") / %d)
  }
  RS.close(c); rm(c); invisible(gc())
  one <- numeric(0)
  for (i in 1:%d) {
    t0 <- Sys.time(); c <- conn(addr, tls, ca)
    tryCatch(RS.eval(c, 1+1), error = function(e) stop(name, ": ", conditionMessage(e), ": ", RS.eval(c, geterrmessage())))
    RS.close(c)
    one <- c(one, as.numeric(Sys.time() - t0, units = "secs"))
    # RSclient's finalizer of a closed TLS connection shuts TLS down on the
    # descriptor number it had, which a newer connection may have reused:
    # let it run now, while no connection is open.
    rm(c); invisible(gc())
  }
  cat(sprintf("RESULT\t%%s\t%%s\t%%.1f\t%%.1f\t%%.0f\t%%.0f\n", name, if (tls) "tls" else "plaintext",
      median(per) * 1e6, quantile(per, 0.9) * 1e6, median(one) * 1e6, quantile(one, 0.9) * 1e6))
}
`, password, rounds, perRound, perRound, connects)
	for _, n := range names {
		t := targets[n]
		pin, unpin := "", ""
		if cpu, ok := clientCPU[n]; ok {
			pin = fmt.Sprintf("pin(\"%d\")\n", cpu)
			unpin = fmt.Sprintf("pin(\"0-%d\")\n", runtime.NumCPU()-1)
		}
		fmt.Fprintf(&script, "%smeasure(%q, %q, FALSE, %q)\nmeasure(%q, %q, TRUE, %q)\n%s", pin, n, t[0], t[2], n, t[1], t[2], unpin)
	}
	f := filepath.Join(b.TempDir(), "bench.R")
	if err := os.WriteFile(f, []byte(script.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		res, err := exec.CommandContext(ctx, rs, "--vanilla", f).CombinedOutput()
		cancel()
		if err != nil {
			b.Fatalf("benchmark client failed: %v\n%s", err, res)
		}
		b.Logf("%-28s %-10s %12s %12s %16s %16s", "server", "transport", "1+1 µs", "p90", "conn+login µs", "p90")
		for _, line := range strings.Split(string(res), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 7 || f[0] != "RESULT" {
				continue
			}
			b.Logf("%-28s %-10s %12s %12s %16s %16s", f[1], f[2], f[3], f[4], f[5], f[6])
			v, _ := strconv.ParseFloat(f[3], 64)
			b.ReportMetric(v, metricName(f[1], f[2], "rt-µs"))
			v, _ = strconv.ParseFloat(f[5], 64)
			b.ReportMetric(v, metricName(f[1], f[2], "connect-µs"))
		}
	}
}

func metricName(server, transport, what string) string {
	r := strings.NewReplacer(" ", "_", "=", "-", ".", "")
	return r.Replace(server) + "/" + transport + "/" + what
}

type benchServer struct {
	srv               *Server
	plain, tls, ca    string
	certPath, keyPath string
}

// startBenchServer runs rwarden with two QAP1 listeners (plaintext
// loopback and TLS, both requiring a login) and production argon2id
// parameters for the users file.
func startBenchServer(b *testing.B, fsync, password string) *benchServer {
	return startBenchServerWith(b, fsync, password, nil)
}

// startBenchServerWith is startBenchServer with a last word on the
// configuration.
func startBenchServerWith(b *testing.B, fsync, password string, mod func(*config.Config)) *benchServer {
	b.Helper()
	state, err := os.MkdirTemp("", "rwarden-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, auth.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	cfg := st.Config
	if err := auth.AddUser(cfg.UsersFile, "alice", []byte(password), auth.DefaultParams()); err != nil {
		b.Fatal(err)
	}
	tlsL := cfg.Listeners[0]
	tlsL.Address, tlsL.Protocol = "127.0.0.1:0", qap1.Protocol
	cfg.Listeners = []config.ListenerConfig{qapListener("127.0.0.1:0"), tlsL}
	cfg.Audit.Fsync = fsync
	cfg.Pool.Warm, cfg.Pool.Max = 4, 8
	cfg.Pool.AcquireTimeout = config.Duration(2 * time.Minute)
	if mod != nil {
		mod(cfg)
	}
	srv := serveForTest(b, cfg, Options{})
	return &benchServer{srv: srv, plain: srv.Addr(0).String(), tls: srv.Addr(1).String(), ca: st.PKI.CACertPath,
		certPath: st.PKI.ServerCertPath, keyPath: st.PKI.ServerKeyPath}
}

// startRserve runs Debian's Rserve on two free loopback ports (QAP1 and
// QAP1 over TLS) with a password file, as an Rserve operator would (no
// login at all when password is empty).
func startRserve(b *testing.B, cert, key, password string) [2]string {
	b.Helper()
	return startRserveOn(b, cert, key, password, -1)
}

// startRserveOn is startRserve with Rserve (and so every connection's
// process it forks) pinned to one CPU; cpu < 0: not pinned.
func startRserveOn(b *testing.B, cert, key, password string, cpu int) [2]string {
	b.Helper()
	dir := b.TempDir()
	ports := [2]int{freeBenchPort(b), freeBenchPort(b)}
	pwd := filepath.Join(dir, "pwd")
	if err := os.WriteFile(pwd, []byte("alice "+password+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	authLine := "auth required\npwdfile " + pwd
	if password == "" {
		// As most Rserve installations run: no login at all.
		authLine = "auth disable"
	}
	// A configured RSA key, as rwarden keeps one: without it Rserve makes
	// a 4096-bit key in every connection's process at its first keyReq.
	rsaKey := filepath.Join(dir, "rsa.pem")
	k, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		b.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := os.WriteFile(rsaKey, pemKey, 0o600); err != nil {
		b.Fatal(err)
	}
	conf := filepath.Join(dir, "Rserv.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(
		"remote disable\n%s\nplaintext enable\nport %d\ntls.port %d\ntls.key %s\ntls.cert %s\nrsa.key %s\n",
		authLine, ports[0], ports[1], key, cert, rsaKey)), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("/usr/lib/R/bin/Rscript", "--vanilla", "-e",
		fmt.Sprintf(`Rserve::run.Rserve(config.file = %q)`, conf))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if cpu >= 0 {
		// Before it listens (it is still starting R), so every connection's
		// process inherits the pinning.
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(cmd.Process.Pid, &set); err != nil {
			b.Fatalf("pinning Rserve to CPU %d: %v", cpu, err)
		}
	}
	b.Cleanup(func() {
		// Rserve forks per connection: end its process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	})
	addrs := [2]string{fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])}
	for _, a := range addrs {
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := net.Dial("tcp", a)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("Rserve did not listen on %s", a)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return addrs
}

func freeBenchPort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// BenchmarkQAP1EvalRoundTrip is the open-connection `1+1` round trip with
// a Go client, next to the evaluation core alone (Session.Evaluate): the
// difference is what the QAP1 front end costs.
func BenchmarkQAP1EvalRoundTrip(b *testing.B) {
	if _, err := os.Stat("/usr/lib/R/bin/exec/R"); err != nil {
		b.Skip("R is not installed")
	}
	srv := startBenchServer(b, audit.FsyncInterval, "bench-password-1") // the default
	b.Run("qap1", func(b *testing.B) {
		c := dialBenchQAP(b, srv.plain, "bench-password-1")
		defer c.Close()
		settlePool()
		b.ResetTimer()
		for range b.N {
			if err := c.eval(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("core", func(b *testing.B) {
		s, err := srv.srv.Core().OpenSession(context.Background(), core.Identity{User: "alice", Method: auth.MethodPassword}, core.Peer{Protocol: qap1.Protocol})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		opts := core.EvalOptions{WantValue: true, Quiet: true} // as QAP1 evaluates
		s.Evaluate(context.Background(), []byte("1+1"), opts)
		settlePool()
		b.ResetTimer()
		for range b.N {
			if out := s.Evaluate(context.Background(), []byte("1+1"), opts); out.Result == nil {
				b.Fatal(out.ErrorMessage())
			}
		}
	})
}

// settlePool waits (untimed) while the pool replaces the worker a session
// just took: that R start-up competes for the CPUs, and belongs to the cost
// of connecting, not to an open connection's round trip.
func settlePool() { time.Sleep(2 * time.Second) }

// benchQAP is a minimal QAP1 client for the Go benchmarks: logged in as
// alice, its session's worker taken by one evaluation of `1+1`.
type benchQAP struct {
	net.Conn
	msg []byte // CMD_eval "1+1"
}

func dialBenchQAP(b *testing.B, addr, password string) *benchQAP {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c := &benchQAP{Conn: conn, msg: qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1"))}
	var id [32]byte
	if _, err := io.ReadFull(c, id[:]); err != nil {
		b.Fatal(err)
	}
	if err := c.call(qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice\n"+password))); err != nil {
		b.Fatal("login: ", err)
	}
	if err := c.eval(); err != nil {
		b.Fatal(err)
	}
	return c
}

func (c *benchQAP) eval() error { return qapCall(c, c.msg) }

func (c *benchQAP) call(msg []byte) error { return qapCall(c, msg) }

// qapCall sends one QAP1 message and reads its answer, which must be OK.
func qapCall(c net.Conn, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	h, err := qap1.ReadHeader(c)
	if err != nil {
		return err
	}
	if _, err := qap1.ReadPayload(c, h, 1<<20); err != nil {
		return err
	}
	if h.Cmd != qap1.RespOK {
		return fmt.Errorf("answer %#x", h.Cmd)
	}
	return nil
}

// BenchmarkQAP1Concurrent: evaluations per second and the p50 round trip
// of 1, 2, 4 and 8 QAP1 clients evaluating `1+1` back to back on open
// connections (Go clients in this process, plaintext, default fsync), with
// busy polling at its default and off: polling must help a lone busy
// session without taking CPU from concurrent ones. Run with:
// go test ./proxy -run '^$' -bench QAP1Concurrent -benchtime 1x -v
func BenchmarkQAP1Concurrent(b *testing.B) {
	if _, err := os.Stat("/usr/lib/R/bin/exec/R"); err != nil {
		b.Skip("R is not installed")
	}
	const measure = 3 * time.Second
	for _, poll := range []time.Duration{sandbox.DefaultBusyPoll, 0} {
		srv := startBenchServerWith(b, audit.FsyncInterval, "bench-password-1", func(c *config.Config) {
			c.Pool.Warm, c.Pool.Max = 8, 16
			bp := config.Duration(poll)
			c.Pool.BusyPoll = &bp
			sessions := 8 // alice's own limit would refuse the 5th connection
			if c.Limits.Users == nil {
				c.Limits.Users = map[string]config.LimitSet{}
			}
			c.Limits.Users["alice"] = config.LimitSet{Sessions: &sessions}
		})
		for _, n := range []int{1, 2, 4, 8} {
			clients := make([]*benchQAP, n)
			for i := range clients {
				clients[i] = dialBenchQAP(b, srv.plain, "bench-password-1")
			}
			settlePool()
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			end := time.Now().Add(measure)
			for _, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer c.Close()
					var mine []time.Duration
					for time.Now().Before(end) {
						t0 := time.Now()
						if err := c.eval(); err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			// The server ends the closed connections' sessions on its own
			// time; alice's session limit counts them until then.
			time.Sleep(time.Second)
			if len(lat) == 0 {
				b.Fatal("no evaluations")
			}
			slices.Sort(lat)
			rate := float64(len(lat)) / measure.Seconds()
			name := fmt.Sprintf("poll-%v/clients-%d", poll, n)
			b.Logf("busy_poll %-6v clients %d: %6.0f evaluations/s, p50 %v, p90 %v", poll, n, rate,
				lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*9/10].Round(time.Microsecond))
			b.ReportMetric(rate, name+"/evals/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), name+"/p50-µs")
		}
	}
}

func qapListener(addr string) config.ListenerConfig {
	l := config.NewListener(addr)
	l.Protocol, l.Plaintext = qap1.Protocol, true
	return l
}
