package config

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterParse(t *testing.T) {
	c, err := Parse([]byte(`cluster: {node: node-2}
listeners:
  - address: 127.0.0.1:9090
    plaintext: true
    proxy_protocol: {from: [127.0.0.10/32, "::1", 10.1.2.3/8], header_timeout: 2s}
  - address: 127.0.0.1:9091
    plaintext: true
`), "t.yaml", "/tmp")
	require.NoError(t, err)
	assert.Equal(t, "node-2", c.NodeName())
	pp := c.Listeners[0].ProxyProtocol
	require.NotNil(t, pp)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.10/32"), netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.0.0.0/8")}, pp.Balancers())
	assert.Equal(t, 2*time.Second, pp.Timeout())
	assert.False(t, pp.Optional, "a header is required from balancers unless optional is set")
	assert.Nil(t, c.Listeners[1].ProxyProtocol, "off unless configured")
}

func TestClusterDefaultNodeFromHost(t *testing.T) {
	c, err := Parse([]byte(egressListener), "t.yaml", "/tmp")
	require.NoError(t, err)
	assert.True(t, ValidNodeName(c.NodeName()), "the default %q must be a valid node name", c.NodeName())
	for _, tc := range []struct{ host, want string }{
		{"web-1.example.org", "web-1"},
		{"Build_Host", "build-host"},
		{"", "node"},
		{"---", "node"},
		{"-x-", "x"},
		{string(make([]byte, 100)), "node"},
		{"a234567890123456789012345678901234567890123456789012345678901234567890", "a23456789012345678901234567890123456789012345678901234567890123"},
	} {
		got := NodeNameFromHost(tc.host)
		assert.Equal(t, tc.want, got, "host %q", tc.host)
		assert.True(t, ValidNodeName(got), "host %q", tc.host)
	}
}

func TestClusterRejects(t *testing.T) {
	const l = "listeners:\n  - address: 127.0.0.1:9090\n    plaintext: true\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"upper case node", "cluster: {node: Node1}\n" + l, "cluster.node"},
		{"dotted node", "cluster: {node: a.b}\n" + l, "cluster.node"},
		{"node with slash", "cluster: {node: a/b}\n" + l, "cluster.node"},
		{"trailing dash", "cluster: {node: a-}\n" + l, "cluster.node"},
		{"too long", "cluster: {node: a234567890123456789012345678901234567890123456789012345678901234}\n" + l, "cluster.node"},
		{"unknown key", "cluster: {name: x}\n" + l, "name"},
		{"no balancers", l + "    proxy_protocol: {}\n", "proxy_protocol.from"},
		{"bad balancer", l + "    proxy_protocol: {from: [example.org]}\n", "from[0]"},
		{"bad cidr", l + "    proxy_protocol: {from: [10.0.0.0/33]}\n", "from[0]"},
		{"zone", l + "    proxy_protocol: {from: ['fe80::1%eth0']}\n", "from[0]"},
		{"timeout", l + "    proxy_protocol: {from: [127.0.0.1], header_timeout: 1h}\n", "header_timeout"},
		{"unix", "listeners:\n  - address: unix:/tmp/x.sock\n    proxy_protocol: {from: [127.0.0.1]}\n", "not unix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "t.yaml", "/tmp")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
