// Package proxy is rwarden's network side: the server's lifecycle. It opens
// the session core (proxy/core) and the listeners (proxy/transport), maps
// each listener's protocol to its front end (proxy/framed, proxy/qap1),
// serves the admin endpoint, reloads on SIGHUP and shuts down gracefully.
//
// Layout, dependencies pointing one way:
//
//	proxy            lifecycle       -> front ends, core, transport, config
//	proxy/framed     front end+codec -> core, transport
//	proxy/qap1       front end+codec -> core, transport, rdata
//	proxy/transport  listeners, TLS, peer credentials, connection tracking -> config
//	proxy/core       identities, sessions, evaluations, outcomes -> auth, policy, sandbox, audit
//	proxy/config     the configuration file
//	proxy/setup      first run: dev PKI, embedded defaults
//	proxy/rdata      R serialization
package proxy
