package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const egressListener = "listeners:\n  - address: 127.0.0.1:9090\n    plaintext: true\n"

func TestEgressDefaultIsNone(t *testing.T) {
	c, err := Parse([]byte(egressListener), "t.yaml", "/tmp")
	require.NoError(t, err)
	assert.Empty(t, c.Egress.Destinations)
	assert.Empty(t, c.EgressFor([]string{"role:admin", "role:analyst"}), "no destination unless configured")
}

func TestEgressParse(t *testing.T) {
	c, err := Parse([]byte(egressListener+`egress:
  destinations:
    - {name: pg, to: "127.0.0.1:5433", roles: [analyst]}
    - {name: api, to: "db.example:8080", kind: tcp, roles: [admin, analyst]}
`), "t.yaml", "/tmp")
	require.NoError(t, err)
	require.Len(t, c.Egress.Destinations, 2)
	pg := c.Egress.Destinations[0]
	assert.Equal(t, EgressPostgres, pg.Kind, "default kind")
	assert.Equal(t, ".s.PGSQL.5433", pg.SocketFile())
	assert.Equal(t, "socket", c.Egress.Destinations[1].SocketFile())
	assert.Equal(t, 10*time.Second, c.Egress.DialTimeout.Std())
	assert.Equal(t, DefaultEgressMaxConnections, c.Egress.MaxConnections)

	names := func(ds []EgressDestination) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Name)
		}
		return out
	}
	assert.Equal(t, []string{"pg", "api"}, names(c.EgressFor([]string{"role:analyst"})))
	assert.Equal(t, []string{"api"}, names(c.EgressFor([]string{"role:admin"})))
	assert.Empty(t, c.EgressFor([]string{"role:restricted"}))
	assert.Empty(t, c.EgressFor(nil))
}

func TestEgressRejects(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", "egress:\n  destinations:\n    - {name: pg, to: '127.0.0.1:5432', roles: [a], port: 1}\n", "port"},
		{"no port", "egress:\n  destinations:\n    - {name: pg, to: 127.0.0.1, roles: [a]}\n", "host:port"},
		{"port zero", "egress:\n  destinations:\n    - {name: pg, to: '127.0.0.1:0', roles: [a]}\n", "port must be"},
		{"bad name", "egress:\n  destinations:\n    - {name: ../x, to: '127.0.0.1:5432', roles: [a]}\n", "names a directory"},
		{"duplicate", "egress:\n  destinations:\n    - {name: pg, to: '127.0.0.1:5432', roles: [a]}\n    - {name: pg, to: '127.0.0.1:5433', roles: [a]}\n", "named twice"},
		{"no roles", "egress:\n  destinations:\n    - {name: pg, to: '127.0.0.1:5432'}\n", "at least one role"},
		{"prefixed role", "egress:\n  destinations:\n    - {name: pg, to: '127.0.0.1:5432', roles: ['role:a']}\n", "without the"},
		{"bad kind", "egress:\n  destinations:\n    - {name: pg, to: '127.0.0.1:5432', kind: udp, roles: [a]}\n", "kind"},
		{"bad max", "egress:\n  max_connections: -1\n", "max_connections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(egressListener+tc.yaml), "t.yaml", "/tmp")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
