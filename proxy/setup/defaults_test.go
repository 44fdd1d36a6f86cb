package setup

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/rwarden/rwarden/proxy/config"
)

// DefaultConfig must itself be a valid configuration: write it out as YAML
// and load it back.
func TestDefaultConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	def := DefaultConfig(dir)
	data, err := yaml.Marshal(def)
	require.NoError(t, err)
	path := filepath.Join(dir, "rwarden.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	got, err := config.Load(path)
	require.NoError(t, err, "%s", data)
	again, err := yaml.Marshal(got)
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again))
	require.Len(t, def.Listeners, 2)
	assert.Equal(t, config.ProtocolHTTP, def.Listeners[1].Protocol)
	assert.True(t, config.IsLoopbackOrUnix(def.Listeners[1].Address))
	assert.False(t, def.Listeners[0].Plaintext)
	assert.Equal(t, filepath.Join(dir, DevPKIDirName, DevServerCertFile), def.Listeners[0].TLS.Cert)
	assert.True(t, config.IsLoopbackOrUnix(def.Listeners[0].Address))
}
