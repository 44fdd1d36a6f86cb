package proxy

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
)

// BenchmarkHTTPVsFramed (make bench): the HTTP API's one-shot POST
// /v1/eval of `1+1` over keep-alive TLS against the framed protocol's
// one-shot over TLS (connect + `1+1` + close), 8 concurrent clients each,
// same server, same run; and how long after R printed a line its
// server-sent event reached the client (R prints its own clock; the
// client compares it with its own on the same host).
//
// RWARDEN_BENCH_SECONDS (default 10) sets each sustained run's length.
func BenchmarkHTTPVsFramed(b *testing.B) {
	seconds := envInt("RWARDEN_BENCH_SECONDS", 10)
	srv, framedAddr, httpURL, tlsCfg := startHTTPBenchServer(b)
	tr := &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 8, MaxConnsPerHost: 8}
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	httpOne := func() error {
		resp, err := client.Post(httpURL+"/v1/eval", "application/json", strings.NewReader(`{"code": "1+1"}`))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var r struct{ Console string }
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return err
		}
		if resp.StatusCode != 200 || r.Console != "[1] 2\n" {
			return fmt.Errorf("answer %d %q", resp.StatusCode, r.Console)
		}
		return nil
	}
	framedOne := func() error { return framedOneShot(framedAddr, tlsCfg) }
	for i := 0; i < b.N; i++ {
		rates := map[string]float64{}
		for _, c := range []struct {
			name string
			one  func() error
		}{{"framed-tls", framedOne}, {"http-keepalive-tls", httpOne}} {
			for w := 0; w < 10; w++ {
				if err := c.one(); err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
			}
			for srv.Core().PoolStats().Idle < benchWarm {
				time.Sleep(10 * time.Millisecond)
			}
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
			rates[c.name] = float64(ok.Load()) / float64(seconds)
			b.ReportMetric(rates[c.name], c.name+"-evals/s")
			fmt.Printf("%-20s sustained %8.1f evals/s with 8 clients for %ds (%d failed)\n", c.name, rates[c.name], seconds, failed.Load())
		}
		ratio := rates["http-keepalive-tls"] / rates["framed-tls"]
		b.ReportMetric(ratio, "http/framed")
		fmt.Printf("HTTP one-shot rate / framed one-shot rate: %.2f\n", ratio)

		lags := streamLags(b, client, httpURL, 20)
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		b.ReportMetric(ms(lags[len(lags)/2]), "event-lag-p50-ms")
		fmt.Printf("first streamed event after R printed it: p50 %.2f ms, max %.2f ms (%d samples)\n",
			ms(lags[len(lags)/2]), ms(lags[len(lags)-1]), len(lags))
	}
}

// streamLags runs n streamed evaluations that each print R's clock once
// and returns how long after that the event arrived.
func streamLags(b *testing.B, client *http.Client, url string, n int) []time.Duration {
	var lags []time.Duration
	for range n {
		req, _ := http.NewRequest("POST", url+"/v1/eval",
			strings.NewReader(`{"code": "Sys.sleep(0.05); cat(sprintf('%.6f\\n', as.numeric(Sys.time()))); Sys.sleep(0.2)"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: {\"text\"") {
				continue
			}
			at := time.Now()
			var d struct{ Text string }
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d); err != nil {
				b.Fatal(err)
			}
			printed, err := strconv.ParseFloat(strings.TrimSpace(d.Text), 64)
			if err != nil {
				b.Fatalf("event %q: %v", d.Text, err)
			}
			lags = append(lags, at.Sub(time.Unix(0, int64(printed*1e9))))
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if len(lags) == 0 {
		b.Fatal("no events")
	}
	return lags
}

// startHTTPBenchServer runs rwarden with the anonymous user guest on a
// framed and an HTTP TLS loopback listener, default audit settings and a
// pool sized for 8 concurrent clients.
func startHTTPBenchServer(b *testing.B) (*Server, string, string, *tls.Config) {
	b.Helper()
	srv, _, tlsCfg := startGuestBenchServer(b, "rwarden-bench-http-", 64, 16, func(f config.ListenerConfig) []config.ListenerConfig {
		f.Address, f.AnonymousUser = "127.0.0.1:0", "guest"
		h := f
		h.Protocol = config.ProtocolHTTP
		return []config.ListenerConfig{f, h}
	})
	return srv, srv.Addr(0).String(), "https://" + srv.Addr(1).String(), tlsCfg
}
