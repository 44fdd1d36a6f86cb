package transport

import "net"

// PrefixConn is a connection with bytes already read from it put back (a
// front end that peeked at the first byte to tell TLS from plaintext).
type PrefixConn struct {
	net.Conn
	Prefix []byte
}

func (p *PrefixConn) Read(b []byte) (int, error) {
	if len(p.Prefix) > 0 {
		n := copy(b, p.Prefix)
		p.Prefix = p.Prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// NetConn unwraps to the underlying connection (for peer credentials).
func (p *PrefixConn) NetConn() net.Conn { return p.Conn }
