package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pires/go-proxyproto"

	"github.com/rwarden/rwarden/proxy/config"
)

// The PROXY protocol (v1 and v2, as HAProxy's send-proxy-v2 sends it) on
// a listener behind a load balancer: the balancer opens each connection
// with a header naming the client's address, so that rate limits, the
// audit and the admin API see the client and not the balancer. The header
// is a claim about the client that only a balancer may make: it is read
// (by go-proxyproto, never parsed here) only on connections from the
// configured balancer addresses; a connection from any other address that
// begins with a header is refused, so that a client cannot pick the
// address its requests are recorded and limited under.

// ErrProxyHeaderRefused is the read error of a connection from an address
// that is not a configured load balancer and that began with a PROXY
// protocol header.
var ErrProxyHeaderRefused = errors.New("PROXY protocol header refused: the connection does not come from a configured load balancer")

// proxyPolicy is a listener's proxy_protocol setting, parsed.
type proxyPolicy struct {
	balancers []netip.Prefix
	optional  bool
	timeout   time.Duration
}

func newProxyPolicy(pc *config.ProxyProtocolConfig) *proxyPolicy {
	if pc == nil {
		return nil
	}
	return &proxyPolicy{balancers: pc.Balancers(), optional: pc.Optional, timeout: pc.Timeout()}
}

// isBalancer reports whether a is one of the configured balancers.
func (p *proxyPolicy) isBalancer(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, b := range p.balancers {
		if b.Contains(ip) {
			return true
		}
	}
	return false
}

// acceptProxy prepares a connection of a proxy_protocol listener before
// its front end sees it. From a balancer it reads the header within the
// header timeout (required unless optional) and makes the client's
// address the connection's RemoteAddr; from anyone else it arms the check
// that refuses a header. It runs on the connection's own goroutine, never
// on the accept loop.
func (c *Conn) acceptProxy(p *proxyPolicy, refuse func(net.Conn, *Refused)) error {
	raw := c.Conn
	if !p.isBalancer(raw.RemoteAddr()) {
		c.rd = &headerGuard{conn: raw, refused: func() {
			if refuse != nil {
				refuse(raw, &Refused{Reason: RefusedProxyHeader, Remote: raw.RemoteAddr().String()})
			}
		}}
		return nil
	}
	if err := c.acceptBalancer(p); err != nil {
		if refuse != nil {
			refuse(raw, &Refused{Reason: RefusedProxyInvalid, Remote: raw.RemoteAddr().String()})
		}
		return err
	}
	return nil
}

// acceptBalancer reads a balancer's PROXY header.
func (c *Conn) acceptBalancer(p *proxyPolicy) error {
	if err := c.Conn.SetReadDeadline(time.Now().Add(p.timeout)); err != nil {
		return fmt.Errorf("PROXY protocol: %w", err)
	}
	br := bufio.NewReader(c.Conn)
	h, err := proxyproto.Read(br)
	switch {
	case errors.Is(err, proxyproto.ErrNoProxyProtocol) && p.optional:
		// The balancer's own connection: its address stays.
	case err != nil:
		return fmt.Errorf("PROXY protocol header from load balancer %s: %w", c.Conn.RemoteAddr(), err)
	case h.Command.IsLocal():
		// The balancer speaking for itself (a health check).
	default:
		src, ok := h.SourceAddr.(*net.TCPAddr)
		if !ok || h.TransportProtocol != proxyproto.TCPv4 && h.TransportProtocol != proxyproto.TCPv6 {
			return fmt.Errorf("PROXY protocol header from load balancer %s: not a TCP client (%v)", c.Conn.RemoteAddr(), h.TransportProtocol)
		}
		c.remote = src
	}
	if err := c.Conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("PROXY protocol: %w", err)
	}
	c.rd = br
	return nil
}

// headerGuard passes a connection's bytes through once its beginning is
// known not to be a PROXY protocol header; a header makes every read fail
// with ErrProxyHeaderRefused. It reads no more than the front end asks
// for plus the few bytes needed to decide, so protocols where the server
// speaks first (QAP1) are not delayed: nothing is read before the front
// end reads.
type headerGuard struct {
	conn    net.Conn
	seen    []byte // bytes read while deciding, not yet handed on
	decided bool   // the beginning is not a header
	err     error  // returned once seen is handed on
	refused func() // called once when a header is found
}

// proxySignatures are the beginnings of a v1 and a v2 header.
var proxySignatures = [][]byte{[]byte("PROXY "), proxyproto.SIGV2}

func (g *headerGuard) Read(b []byte) (int, error) {
	for !g.decided && g.err == nil {
		var buf [16]byte
		n, err := g.conn.Read(buf[:])
		g.seen = append(g.seen, buf[:n]...)
		switch g.classify() {
		case headerFound:
			g.seen, g.err = nil, ErrProxyHeaderRefused
			g.refused()
		case headerAbsent:
			g.decided = true
		}
		var ne net.Error
		switch {
		case err == nil || g.err != nil:
		case errors.As(err, &ne) && ne.Timeout():
			// Transient: a front end may read with a short deadline and
			// read again (QAP1 waits briefly for a TLS client's first
			// byte). Undecided bytes wait for the next read; decided ones
			// are handed on now.
			if !g.decided {
				return 0, err
			}
		default:
			// Sticky: an undecided beginning never passes unchecked.
			g.err = err
		}
	}
	if len(g.seen) > 0 {
		n := copy(b, g.seen)
		g.seen = g.seen[n:]
		return n, nil
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.conn.Read(b)
}

type headerState int

const (
	headerUndecided headerState = iota
	headerFound
	headerAbsent
)

// classify says whether seen begins with a PROXY signature, cannot, or
// is still a proper prefix of one.
func (g *headerGuard) classify() headerState {
	undecided := false
	for _, sig := range proxySignatures {
		n := min(len(g.seen), len(sig))
		if !bytes.Equal(g.seen[:n], sig[:n]) {
			continue
		}
		if n == len(sig) {
			return headerFound
		}
		undecided = true
	}
	if undecided {
		return headerUndecided
	}
	return headerAbsent
}
