package transport

import (
	"crypto/tls"
	"fmt"
	"net"
)

// Peer describes a connected client without its connection, for the
// session core to authenticate and to record: an HTTP handler can describe
// its client the same way.
type Peer struct {
	// Remote is the client's address, "unix:uid=N,pid=M" on a unix socket.
	Remote string
	// Listener is the configured address of the listener it came through.
	Listener string
	// Protocol is the front end's name (framed, qap1).
	Protocol string
	// TLS is the state of a completed handshake; nil without TLS. Only a
	// certificate in its VerifiedChains may name a user.
	TLS *tls.ConnectionState
	// Unix is set for a unix-socket listener; Cred then holds the peer's
	// credentials as the kernel recorded them, or CredErr why not.
	Unix    bool
	Cred    *PeerCred
	CredErr error
	// AnonymousUser is the listener's identity for clients that bring no
	// credentials ("" refuses them).
	AnonymousUser string
	// CertUser is how a verified client certificate names its user.
	CertUser string
}

// PeerCred are a unix-socket peer's credentials (SO_PEERCRED).
type PeerCred struct {
	UID, GID uint32
	PID      int32
}

// PeerOf describes the peer of conn (a Conn, or TLS over one) that speaks
// protocol on listener l.
func PeerOf(conn net.Conn, l *Listener, protocol string) Peer {
	p := Peer{Listener: l.Config.Address, Protocol: protocol, Unix: l.Config.IsUnix(),
		AnonymousUser: l.Config.AnonymousUser, CertUser: l.Config.TLS.CertUser}
	if t, ok := conn.(*tls.Conn); ok {
		cs := t.ConnectionState()
		p.TLS = &cs
	}
	switch {
	case p.Unix:
		uid, gid, pid, err := PeerCredentials(conn)
		if err != nil {
			p.CredErr = err
			p.Remote = "unix"
		} else {
			p.Cred = &PeerCred{UID: uid, GID: gid, PID: pid}
			p.Remote = fmt.Sprintf("unix:uid=%d,pid=%d", uid, pid)
		}
	case conn.RemoteAddr() != nil:
		p.Remote = conn.RemoteAddr().String()
	default:
		p.Remote = "unknown"
	}
	return p
}
