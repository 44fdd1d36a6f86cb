// Package egress forwards a session's connections to the network
// destinations its roles are granted (runtime restriction and OS sandbox
// layers: the worker has no network of its own). A Forwarder accepts on a
// Unix socket that the sandbox placed inside one worker's scratch directory
// and connects each accepted connection to one fixed host:port chosen by the
// configuration, never by the worker; it counts the bytes each way and
// reports each connection's start and end, for the audit trail (beyond
// Options.Detailed connections a minute, in summary events that count
// them: a connect loop cannot flood the trail).
package egress
