package testutil

import (
	"net"
	"sync"
	"testing"
	"time"
)

// ServeConns answers every connection accepted on ln with handle, each in
// its own goroutine with a deadline of d on the whole exchange, until the
// test ends; it then closes ln and waits for the handlers.
func ServeConns(tb testing.TB, ln net.Listener, d time.Duration, handle func(net.Conn)) {
	tb.Helper()
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(d))
				handle(c)
			}()
		}
	}()
}
