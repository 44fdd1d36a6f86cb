package config

import (
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ClusterConfig names this node among several rwarden nodes behind a load
// balancer (docs/scaling.md). Each node keeps its own audit chain; every
// record names the node, and HTTP and MCP session ids carry it, so that a
// request that reaches the wrong node is answered with a clear error.
type ClusterConfig struct {
	// Node is this node's name: a DNS label (lowercase letters, digits,
	// '-', at most 63). Default: derived from the host name.
	Node string `yaml:"node"`
}

// nodeNameRE is a DNS label in lowercase: the name goes into audit records,
// session ids (which are URL path segments and HTTP header values) and
// metrics, so nothing that needs escaping anywhere.
var nodeNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidNodeName reports whether name may name a node.
func ValidNodeName(name string) bool { return nodeNameRE.MatchString(name) }

// NodeName is the node's name: cluster.node, or the default derived from
// the host name.
func (c *Config) NodeName() string {
	if c.Cluster.Node != "" {
		return c.Cluster.Node
	}
	host, _ := os.Hostname()
	return NodeNameFromHost(host)
}

// NodeNameFromHost derives a node name from a host name: its first label,
// lowercased, every other character than a-z, 0-9 and '-' replaced by '-',
// at most 63 characters, no '-' at either end; "node" when nothing is left.
func NodeNameFromHost(host string) string {
	label, _, _ := strings.Cut(strings.ToLower(host), ".")
	b := []byte(label)
	for i, ch := range b {
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') {
			b[i] = '-'
		}
	}
	name := string(b)
	if len(name) > 63 {
		name = name[:63]
	}
	name = strings.Trim(name, "-")
	if name == "" {
		return "node"
	}
	return name
}

// ProxyProtocolConfig accepts the PROXY protocol (v1 or v2, as HAProxy's
// send-proxy-v2 sends it) on a listener, from configured load balancers
// only, so that rate limits, the audit and the admin API see the client's
// address instead of the balancer's.
type ProxyProtocolConfig struct {
	// From are the load balancers' addresses (IP or CIDR). A connection
	// from one of them must begin with a PROXY header (unless Optional);
	// a connection from any other address that begins with one is refused.
	From []string `yaml:"from"`
	// Optional lets a balancer connect without a header (then its own
	// address is the client's). Off: a header is required from them.
	Optional bool `yaml:"optional"`
	// HeaderTimeout bounds reading the header (default 5s).
	HeaderTimeout Duration `yaml:"header_timeout"`
}

// DefaultProxyHeaderTimeout is proxy_protocol.header_timeout unless set.
const DefaultProxyHeaderTimeout = 5 * time.Second

// Balancers parses From (validated by Load).
func (p *ProxyProtocolConfig) Balancers() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range p.From {
		if pr, ok := parseBalancer(s); ok {
			out = append(out, pr)
		}
	}
	return out
}

// Timeout is HeaderTimeout or its default.
func (p *ProxyProtocolConfig) Timeout() time.Duration {
	if p.HeaderTimeout <= 0 {
		return DefaultProxyHeaderTimeout
	}
	return p.HeaderTimeout.Std()
}

func parseBalancer(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return pr.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

func (c *Config) validateCluster(bad func(string, string, ...any)) {
	if c.Cluster.Node != "" && !ValidNodeName(c.Cluster.Node) {
		bad("cluster.node", "must be a DNS label (lowercase letters, digits and '-', at most 63, no '-' at either end), got %q", c.Cluster.Node)
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		pp := l.ProxyProtocol
		if pp == nil {
			continue
		}
		p := "listeners[" + strconv.Itoa(i) + "].proxy_protocol"
		if l.IsUnix() {
			bad(p, "is for TCP listeners behind a load balancer, not unix: sockets")
		}
		if len(pp.From) == 0 {
			bad(p+".from", "name the load balancers' addresses (IP or CIDR): a PROXY header is trusted from them only")
		}
		for j, s := range pp.From {
			if _, ok := parseBalancer(s); !ok {
				bad(p+".from["+strconv.Itoa(j)+"]", "must be an IP address or CIDR prefix, got %q", s)
			}
		}
		if pp.HeaderTimeout != 0 && (pp.HeaderTimeout.Std() < 100*time.Millisecond || pp.HeaderTimeout.Std() > time.Minute) {
			bad(p+".header_timeout", "must be between 100ms and 1m, got %s", pp.HeaderTimeout.Std())
		}
	}
}
