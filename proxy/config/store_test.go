package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreConfig(t *testing.T) {
	base := "listeners:\n  - {address: \"127.0.0.1:7000\", plaintext: true}\n"
	tests := []struct {
		name, yaml, err string
		enabled         bool
		spec, node      string
	}{
		{name: "off by default", yaml: "cluster: {node: a1}\n", node: "a1"},
		{name: "dsn file, relative to the config", yaml: "store: {dsn_file: store.dsn}\ncluster: {node: n-1}\n",
			enabled: true, spec: "/etc/rw/store.dsn", node: "n-1"},
		{name: "dsn env", yaml: "store: {dsn_env: RW_DSN}\n", enabled: true, spec: "env:RW_DSN"},
		{name: "both", yaml: "store: {dsn_file: /x, dsn_env: RW_DSN}\n", err: "not both"},
		{name: "bad env name", yaml: "store: {dsn_env: \"A B\"}\n", err: "not an environment variable name"},
		{name: "bad node", yaml: "cluster: {node: \"../x\"}\n", err: "must be a DNS label"},
		{name: "unknown key", yaml: "store: {dsn: postgres://x}\n", err: "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(base+tt.yaml), "test.yaml", "/etc/rw")
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.enabled, c.Store.Enabled())
			if tt.enabled {
				assert.Equal(t, tt.spec, c.Store.DSNSpec())
			}
			if tt.node != "" {
				assert.Equal(t, tt.node, c.Cluster.Node)
			}
			assert.True(t, ValidNodeName(c.NodeName()), "a default node name is valid")
		})
	}
}
