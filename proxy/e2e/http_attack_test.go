package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// httpFlooder sends policy-denied code to an anonymous HTTP listener from
// src over one keep-alive connection at a time, until stop; every answer
// that is a refusal (403 denied, 429 rate limited) counts in errAnswers.
func httpFlooder(src, addr string, stop <-chan struct{}, sent, errAnswers *atomic.Int64) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	tr := &http.Transport{
		DialContext:         func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
		MaxIdleConnsPerHost: 1,
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		resp, err := c.Post("http://"+addr+"/v1/eval", "application/json", strings.NewReader(`{"code": "system('id')"}`))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sent.Add(1)
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
			errAnswers.Add(1)
		}
	}
}
