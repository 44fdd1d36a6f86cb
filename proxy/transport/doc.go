// Package transport is layer 1 of the threat model: listeners (TCP with
// TLS, plaintext only on loopback or unix sockets, unix sockets with peer
// credentials), the TLS policy (1.2+, AEAD only) and certificate reload
// without dropping connections, and the tracking of open connections for
// graceful shutdown. It describes a connected peer as a plain value (Peer)
// that the session core authenticates; it knows no protocol and no user.
package transport
