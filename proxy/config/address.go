package config

import (
	"net"
	"strings"
)

const unixPrefix = "unix:"

// IsUnixAddress reports whether a listener address names a unix socket
// ("unix:/path").
func IsUnixAddress(addr string) bool { return strings.HasPrefix(addr, unixPrefix) }

// UnixPath is the socket path of a "unix:/path" address.
func UnixPath(addr string) string { return strings.TrimPrefix(addr, unixPrefix) }

// IsLoopbackOrUnix reports whether address ("host:port" or "unix:/path")
// can only be reached from this host: a unix socket, "localhost", or a
// loopback IP literal (127.0.0.0/8, ::1). Other host names are not resolved:
// what a name resolves to can change, so it never counts as loopback.
func IsLoopbackOrUnix(address string) bool {
	if IsUnixAddress(address) {
		return UnixPath(address) != ""
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
