package proxy

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// BenchmarkQAP1OneShotVsRserve (issue 12): sustained one-shot `1+1` on
// QAP1, the same Go client against rwarden and against Debian's Rserve 1.8
// in the same run: connect, read the ID string, CMD_eval "1+1", close, by 8
// concurrent clients. rwarden's listeners are anonymous (guest, a
// restricted role: every evaluation policy-checked, run in a forked
// allowlisted session and audited, default audit settings); Rserve runs
// with "auth disable", as most installations do, so neither side logs in.
// Plaintext loopback and TLS for both.
//
// On a machine shared with other work the rates swing with its load, so
// the runs interleave: RWARDEN_BENCH_ROUNDS rounds (default 3), each
// running every target for RWARDEN_BENCH_SECONDS (default 10) in turn; the
// figures are over all rounds, with the load average before and after.
// Also the one-shot p50 of RWARDEN_BENCH_ONESHOTS (default 200)
// sequential connections, each once the warm pool is back.
//
//	RWARDEN_BENCH_SECONDS=10 go test ./proxy -run '^$' -bench QAP1OneShotVsRserve -benchtime 1x
func BenchmarkQAP1OneShotVsRserve(b *testing.B) {
	if _, err := os.Stat("/usr/lib/R/site-library/Rserve"); err != nil {
		b.Skip("Rserve is not installed (make deps installs r-cran-rserve)")
	}
	seconds := envInt("RWARDEN_BENCH_SECONDS", 10)
	rounds := envInt("RWARDEN_BENCH_ROUNDS", 3)
	shots := envInt("RWARDEN_BENCH_ONESHOTS", 200)
	srv, plain, tlsAddr, certPath, keyPath, tlsCfg := startQAPOneShotServer(b)
	rs := startRserve(b, certPath, keyPath, "")
	targets := []struct {
		name string
		one  func() error
	}{
		{"rwarden-plaintext", func() error { return qapOneShot(plain, nil) }},
		{"rserve-plaintext", func() error { return qapOneShot(rs[0], nil) }},
		{"rwarden-tls", func() error { return qapOneShot(tlsAddr, tlsCfg) }},
		{"rserve-tls", func() error { return qapOneShot(rs[1], tlsCfg) }},
	}
	if only := os.Getenv("RWARDEN_BENCH_ONLY"); only != "" {
		kept := targets[:0]
		for _, t := range targets {
			if strings.Contains(t.name, only) {
				kept = append(kept, t)
			}
		}
		targets = kept
	}
	warm := func() {
		for srv.Core().PoolStats().Idle < benchWarm {
			time.Sleep(time.Millisecond)
		}
	}
	for i := 0; i < b.N; i++ {
		for _, t := range targets {
			for w := 0; w < 10; w++ {
				if err := t.one(); err != nil {
					b.Fatalf("%s: %v", t.name, err)
				}
			}
			warm()
			lat := make([]time.Duration, 0, shots)
			for s := 0; s < shots; s++ {
				t0 := time.Now()
				if err := t.one(); err != nil {
					b.Fatalf("%s: %v", t.name, err)
				}
				lat = append(lat, time.Since(t0))
				warm() // untimed: the latency of a server that is not saturated
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), t.name+"-oneshot-p50-us")
			fmt.Printf("%-18s one-shot p50 %6.2f ms  p90 %6.2f ms\n", t.name, ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]))
		}
		fmt.Printf("load average before the sustained runs: %s\n", loadAverage())
		ok := make([]int64, len(targets))
		failed := make([]int64, len(targets))
		cpu := make([]time.Duration, len(targets))
		for r := 0; r < rounds; r++ {
			for k, t := range targets {
				warm()
				c0 := benchCPU()
				n, f := sustained(t.one, 8, time.Duration(seconds)*time.Second)
				c := benchCPU() - c0
				ok[k] += n
				failed[k] += f
				cpu[k] += c
				fmt.Printf("round %d %-18s %8.1f evals/s (%d failed), %.2f ms of CPU per evaluation\n", r+1, t.name,
					float64(n)/float64(seconds), f, ms(c)/float64(max(n, 1)))
			}
		}
		fmt.Printf("load average after: %s\n", loadAverage())
		rate := make([]float64, len(targets))
		for k, t := range targets {
			rate[k] = float64(ok[k]) / float64(seconds*rounds)
			b.ReportMetric(rate[k], t.name+"-sustained-evals/s")
			perEval := ms(cpu[k]) / float64(max(ok[k], 1))
			b.ReportMetric(perEval*1000, t.name+"-cpu-us/eval")
			fmt.Printf("%-18s sustained %8.1f evals/s with 8 clients, %d x %ds (%d failed); %.2f ms of CPU per evaluation\n",
				t.name, rate[k], rounds, seconds, failed[k], perEval)
		}
		if len(targets) == 4 { // not with RWARDEN_BENCH_ONLY (a profile of one target)
			b.ReportMetric(rate[0]/rate[1], "plaintext-ratio-to-rserve")
			b.ReportMetric(rate[2]/rate[3], "tls-ratio-to-rserve")
			fmt.Printf("rwarden / Rserve: plaintext %.2fx, TLS %.2fx\n", rate[0]/rate[1], rate[2]/rate[3])
		}
		for k, f := range failed {
			if f > 0 {
				b.Errorf("%s: %d one-shot evaluations failed", targets[k].name, f)
			}
		}
	}
}

// sustained runs one() from the given number of clients back to back for
// d and counts the successes and failures.
func sustained(one func() error, clients int, d time.Duration) (ok, failed int64) {
	var okN, failN atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if one() == nil {
					okN.Add(1)
				} else {
					failN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return okN.Load(), failN.Load()
}

// benchCPU is the CPU time of everything the benchmark runs: this process
// (the clients, and rwarden's Go side) and its reaped children (rwarden's
// session processes), plus every live R child with what it reaped (rwarden's
// templates and sessions; Rserve's server, which reaps the process it forks
// for each connection). Its difference over a run, per evaluation, is what
// one evaluation costs the machine, client included (the same client for
// both servers): on a loaded machine it moves much less than the rate.
func benchCPU() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	total := self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano()
	for _, pid := range rChildren() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		st := string(b)
		i := strings.LastIndex(st, ")")
		if i < 0 {
			continue
		}
		f := strings.Fields(st[i+2:])
		if len(f) < 15 {
			continue
		}
		for _, x := range f[11:15] { // utime, stime, cutime, cstime
			v, _ := strconv.ParseInt(x, 10, 64)
			total += v * int64(time.Second) / clockTicksPerSecond
		}
	}
	return time.Duration(total)
}

// clockTicksPerSecond is USER_HZ, the unit of /proc/PID/stat's times (100
// on every Linux architecture Go supports).
const clockTicksPerSecond = 100

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// startQAPOneShotServer runs rwarden with the anonymous user guest on a
// plaintext and a TLS QAP1 loopback listener, default audit settings and
// the framed benchmark's pool (benchWarm warm sessions, 16 at most).
func startQAPOneShotServer(b *testing.B) (srv *Server, plain, tlsAddr, certPath, keyPath string, tlsCfg *tls.Config) {
	b.Helper()
	srv, st, tlsCfg := startGuestBenchServer(b, "rwarden-bench-qap1-oneshot-", 64, 16, func(tlsL config.ListenerConfig) []config.ListenerConfig {
		tlsL.Address, tlsL.Protocol, tlsL.AnonymousUser = "127.0.0.1:0", qap1.Protocol, "guest"
		plainL := qapListener("127.0.0.1:0")
		plainL.AnonymousUser = "guest"
		return []config.ListenerConfig{tlsL, plainL}
	})
	return srv, srv.Addr(1).String(), srv.Addr(0).String(), st.PKI.ServerCertPath, st.PKI.ServerKeyPath, tlsCfg
}

// qapOneShot: connect (TLS when cfg is set), read the ID string, CMD_eval
// "1+1" (the answer must be OK), close.
func qapOneShot(addr string, cfg *tls.Config) error {
	var c net.Conn
	var err error
	if cfg != nil {
		c, err = tls.Dial("tcp", addr, cfg)
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	var id [32]byte
	if _, err := io.ReadFull(c, id[:]); err != nil {
		return err
	}
	if !strings.HasPrefix(string(id[:]), "Rsrv0103QAP1") {
		return fmt.Errorf("ID string %q", id[:])
	}
	return qapCall(c, qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1")))
}
