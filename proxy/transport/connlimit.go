package transport

import (
	"fmt"
	"net"
	"net/netip"
)

// Connection limits: all listeners together, one source address, one
// listener. A connection over a limit is refused as soon as it is
// accepted, before any goroutine, buffer or TLS handshake is spent on it,
// so that idle or trickling clients cannot use up the descriptors that
// workers and the audit trail need, nor crowd out other addresses.

// ConnLimits are the limits a Tracker enforces; zero fields do not limit
// (a listener's own limit is its Config.MaxConnections).
type ConnLimits struct {
	Total      int
	PerAddress int
}

// Refusal reasons (metric labels).
const (
	RefusedTotal      = "total"
	RefusedPerAddress = "per_address"
	RefusedListener   = "listener"
	// RefusedProxyHeader: a PROXY protocol header from an address that is
	// not a configured load balancer (proxyproto.go).
	RefusedProxyHeader = "proxy_header"
	// RefusedProxyInvalid: a connection from a load balancer without a
	// valid PROXY protocol header in time.
	RefusedProxyInvalid = "proxy_invalid"
)

// Refused describes a connection refused by a limit.
type Refused struct {
	Reason string // RefusedTotal, RefusedPerAddress or RefusedListener
	Limit  int
	Remote string
}

// Message is the refusal as a client or a log reads it.
func (r *Refused) Message() string {
	switch r.Reason {
	case RefusedPerAddress:
		return fmt.Sprintf("too many connections from your address (limit %d); close some and retry", r.Limit)
	case RefusedListener:
		return fmt.Sprintf("too many connections to this listener (limit %d); retry shortly", r.Limit)
	case RefusedProxyHeader:
		return ErrProxyHeaderRefused.Error()
	case RefusedProxyInvalid:
		return "no valid PROXY protocol header from the load balancer in time"
	}
	return fmt.Sprintf("the server is at its connection limit (%d); retry shortly", r.Limit)
}

// addressKey groups connections by source: the IP address (IPv4, or the
// /64 of an IPv6 address, which one host usually has all of). Unix-socket
// clients have no address and are not limited per address ("").
func addressKey(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return ""
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return ""
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// admit counts c against the limits, or says why it is refused. The caller
// holds t.mu.
func (t *Tracker) admit(c net.Conn, l *Listener) (key string, refused *Refused) {
	remote := ""
	if ra := c.RemoteAddr(); ra != nil {
		remote = ra.String()
	}
	key = addressKey(c.RemoteAddr())
	if l != nil && l.proxy != nil && l.proxy.isBalancer(c.RemoteAddr()) {
		// A load balancer carries many clients: its connections count in
		// the totals only (the clients' own addresses, known once the
		// PROXY header is read, reach the login and request limits).
		key = ""
	}
	switch {
	case t.limits.Total > 0 && len(t.conns) >= t.limits.Total:
		return "", &Refused{Reason: RefusedTotal, Limit: t.limits.Total, Remote: remote}
	case l != nil && l.Config.MaxConnections > 0 && t.perListener[l] >= l.Config.MaxConnections:
		return "", &Refused{Reason: RefusedListener, Limit: l.Config.MaxConnections, Remote: remote}
	case key != "" && t.limits.PerAddress > 0 && t.perAddress[key] >= t.limits.PerAddress:
		return "", &Refused{Reason: RefusedPerAddress, Limit: t.limits.PerAddress, Remote: remote}
	}
	if key != "" {
		t.perAddress[key]++
	}
	t.perListener[l]++
	return key, nil
}

// release undoes admit. The caller holds t.mu.
func (t *Tracker) release(tc *Conn) {
	if tc.addrKey != "" {
		if t.perAddress[tc.addrKey]--; t.perAddress[tc.addrKey] <= 0 {
			delete(t.perAddress, tc.addrKey)
		}
	}
	if t.perListener[tc.listener]--; t.perListener[tc.listener] <= 0 {
		delete(t.perListener, tc.listener)
	}
}

// Open is the number of open connections.
func (t *Tracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}
