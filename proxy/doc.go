// Package proxy is rwarden's network front: layer 1 of the threat model
// (transport) plus the joining of layers 2-6.
//
// Layer 1 lives here: listeners (TCP with TLS, plaintext only on loopback or
// unix sockets, unix sockets with peer credentials), the TLS policy (1.2+,
// AEAD only, certificate reload without dropping connections), the
// development PKI, the configuration, and the protocol front ends (the framed
// codec is in proxy/framed). Everything a connection sends is treated as
// hostile: bounded reads, deadlines, lengths checked before allocation.
//
// The rest of the package joins the inner layers, which never import each
// other: authentication (auth), static policy (policy), the runtime
// restriction and OS sandbox of the workers (sandbox) and the audit trail
// (audit). The session core knows nothing about wire formats; each protocol
// front end drives the same core.
package proxy
