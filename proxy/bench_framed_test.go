package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/setup"
)

// BenchmarkFramedVsRserve (make bench): rwarden's framed protocol over
// plaintext loopback and TLS, against Debian's Rserve 1.8 started here on
// loopback, in the same run:
//   - one-shot latency: connect + `1+1` + close, p50 over sequential runs,
//     each sent once the warm pool has refilled (for Rserve every
//     connection is a fork of a loaded R, so it is always "warm");
//   - sustained evaluations per second with 8 concurrent clients, each
//     evaluation a fresh connection (as the framed protocol works);
//   - the share of the audit write in rwarden's one-shot latency.
//
// RWARDEN_BENCH_SECONDS (default 30) sets the sustained run's length,
// RWARDEN_BENCH_ONESHOTS (default 200) the number of one-shot samples.
func BenchmarkFramedVsRserve(b *testing.B) {
	if _, err := os.Stat("/usr/lib/R/site-library/Rserve"); err != nil {
		b.Skip("Rserve is not installed (make deps installs r-cran-rserve)")
	}
	seconds := envInt("RWARDEN_BENCH_SECONDS", 30)
	shots := envInt("RWARDEN_BENCH_ONESHOTS", 200)
	srv, plain, tlsAddr, tlsCfg := startFramedBenchServer(b)
	rs := startRserve(b, srv.cfg.Listeners[0].TLS.Cert, srv.cfg.Listeners[0].TLS.Key, "")

	clients := []struct {
		name string
		one  func() error
	}{
		{"rwarden-plaintext", func() error { return framedOneShot(plain, nil) }},
		{"rwarden-tls", func() error { return framedOneShot(tlsAddr, tlsCfg) }},
		{"rserve", func() error { return rserveOneShot(rs[0]) }},
	}
	for i := 0; i < b.N; i++ {
		for _, c := range clients {
			for w := 0; w < 10; w++ { // warm up
				if err := c.one(); err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
			}
			auditBefore := srv.Core().AuditWriteSeconds()
			lat := make([]time.Duration, 0, shots)
			for s := 0; s < shots; s++ {
				t0 := time.Now()
				if err := c.one(); err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
				lat = append(lat, time.Since(t0))
				// Latency of a request to a server that is not saturated:
				// wait (untimed) until the warm workers are back.
				for srv.Core().PoolStats().Idle < benchWarm {
					time.Sleep(time.Millisecond)
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p50 := lat[len(lat)/2]
			b.ReportMetric(float64(p50.Microseconds()), c.name+"-oneshot-p50-us")
			line := fmt.Sprintf("%-18s one-shot p50 %8.2f ms  p90 %8.2f ms", c.name, ms(p50), ms(lat[len(lat)*9/10]))
			if c.name != "rserve" {
				sum, n := srv.Core().AuditWriteSeconds(), shots
				share := (sum - auditBefore) / float64(n) / p50.Seconds()
				b.ReportMetric(100*share, c.name+"-audit-share-%")
				line += fmt.Sprintf("  audit write %.3f ms = %.1f%% of p50", (sum-auditBefore)/float64(n)*1000, 100*share)
			}
			fmt.Println(line)

			var ok, failed atomic.Int64
			stop := time.Now().Add(time.Duration(seconds) * time.Second)
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(stop) {
						if c.one() == nil {
							ok.Add(1)
						} else {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			rate := float64(ok.Load()) / float64(seconds)
			b.ReportMetric(rate, c.name+"-sustained-evals/s")
			fmt.Printf("%-18s sustained %8.1f evals/s with 8 clients for %ds (%d failed)\n", c.name, rate, seconds, failed.Load())
		}
	}
}

// benchWarm is the warm pool of the benchmark server.
const benchWarm = 8

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// startGuestBenchServer runs rwarden for a benchmark of the anonymous user guest
// (sessions at most at once, a pool of benchWarm warm workers and poolMax
// in all, default audit settings) on the listeners made from the embedded
// defaults' TLS listener, and waits until the pool is warm. It returns the
// server and a TLS configuration that trusts it.
func startGuestBenchServer(b *testing.B, prefix string, sessions, poolMax int, listeners func(tlsL config.ListenerConfig) []config.ListenerConfig) (*Server, *setup.DefaultState, *tls.Config) {
	b.Helper()
	state, err := os.MkdirTemp("", prefix)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(state) })
	st, err := setup.PrepareDefaultState(state, policies.FS, cheapArgon)
	if err != nil {
		b.Fatal(err)
	}
	cfg := st.Config
	cfg.Listeners = listeners(cfg.Listeners[0])
	cfg.Limits.Users = map[string]config.LimitSet{"guest": {Sessions: &sessions}}
	cfg.Pool.Warm, cfg.Pool.Max = benchWarm, poolMax
	cfg.Pool.AcquireTimeout = config.Duration(2 * time.Minute)
	srv := serveForTest(b, cfg, Options{})
	tlsCfg := benchTLS(b, st.PKI.CACertPath)
	for deadline := time.Now().Add(2 * time.Minute); srv.Core().PoolStats().Idle < benchWarm; {
		if time.Now().After(deadline) {
			b.Fatal("pool did not warm up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return srv, st, tlsCfg
}

func benchTLS(b *testing.B, caPath string) *tls.Config {
	pem, err := os.ReadFile(caPath)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// startFramedBenchServer runs rwarden with the anonymous user guest on a
// plaintext and a TLS loopback listener, default audit settings (fsync
// always) and a pool sized for 8 concurrent clients.
func startFramedBenchServer(b *testing.B) (*Server, string, string, *tls.Config) {
	b.Helper()
	srv, _, tlsCfg := startGuestBenchServer(b, "rwarden-bench-framed-", 64, 16, func(tlsL config.ListenerConfig) []config.ListenerConfig {
		tlsL.Address, tlsL.AnonymousUser = "127.0.0.1:0", "guest"
		plain := config.NewListener("127.0.0.1:0")
		plain.Address, plain.Plaintext, plain.AnonymousUser = "127.0.0.1:0", true, "guest"
		return []config.ListenerConfig{tlsL, plain}
	})
	return srv, srv.Addr(1).String(), srv.Addr(0).String(), tlsCfg
}

func framedOneShot(addr string, cfg *tls.Config) error {
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
	if err := framed.WriteRequest(c, nil, "UTF-8", []byte("1+1")); err != nil {
		return err
	}
	ans, err := framed.ReadResponse(c, 0)
	if err != nil {
		return err
	}
	if string(ans) != "[1] 2\n" {
		return fmt.Errorf("answer %q", ans)
	}
	return nil
}

// rserveOneShot: connect, read the ID string, CMD_eval "1+1", close.
func rserveOneShot(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	id := make([]byte, 32)
	if _, err := io.ReadFull(c, id); err != nil {
		return err
	}
	return qapCall(c, qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1")))
}
