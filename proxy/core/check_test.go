package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// writeConfig writes a configuration file on cfg's state (its policies,
// PKI and users file) with extra YAML appended, and loads it.
func writeConfig(t *testing.T, cfg *config.Config, extra string) (string, *config.Config, error) {
	t.Helper()
	l := cfg.Listeners[0]
	body := fmt.Sprintf(`state_dir: %s
listeners:
  - address: "127.0.0.1:0"
    tls: {cert: %s, key: %s, client_ca: %s, client_auth: request}
users_file: %s
policies_dir: %s
pool: {warm: 0, max: 4}
%s`, cfg.StateDir, l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA, cfg.UsersFile, cfg.PoliciesDir, extra)
	path := filepath.Join(cfg.StateDir, "rwarden.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	got, err := config.Load(path, CheckConfig)
	return path, got, err
}

// The inner layers' settings are checked at load time, each at its line.
func TestCheckConfigAuditAndPool(t *testing.T) {
	cfg := testConfig(t)
	path, _, err := writeConfig(t, cfg, "audit: {fsync: sometimes, code: all}\nlimits: {}\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+":8: audit.fsync: must be interval, always, batch or never")
	assert.Contains(t, err.Error(), path+":8: audit.code: must be full, truncated:N or hash_only")
	_, _, err = writeConfig(t, cfg, "audit: {fsync: batch, code: \"truncated:100\"}\n")
	require.NoError(t, err)
}

// Role and user names under limits must name roles and users of the
// policy: the server refuses to start, naming file and line.
func TestOpenRejectsUnknownLimitNames(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	path, loaded, err := writeConfig(t, cfg, `limits:
  roles:
    restricted: {wall: 5s}
    role:analyst: {wall: 5s}
    ghost: {wall: 5s}
  users:
    alice: {wall: 5s}
    nobody: {wall: 5s}
`)
	require.NoError(t, err, "the file itself is fine")
	_, err = Open(context.Background(), loaded, Options{PolicyCacheDir: sharedPolicyCache(t)})
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, path+":12: limits.roles.ghost: no role \"role:ghost\" in the policy")
	assert.Contains(t, msg, path+":11: limits.roles.role:analyst: no role \"role:role:analyst\"")
	assert.Contains(t, msg, path+":15: limits.users.nobody: no user \"nobody\" in the policy")
	assert.NotContains(t, msg, "limits.roles.restricted")
	assert.NotContains(t, msg, "limits.users.alice")
}

// rwarden config check: every problem at once, nothing served.
func TestCheckAll(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	_, good, err := writeConfig(t, cfg, "limits: {roles: {restricted: {sessions: 1}}, users: {guest: {wall: 5s}}}\n")
	require.NoError(t, err)
	require.NoError(t, CheckAll(context.Background(), good, CheckOptions{CacheDir: sharedPolicyCache(t)}), "a good configuration passes")

	require.NoError(t, os.Remove(cfg.UsersFile))
	path, bad, err := writeConfig(t, cfg, "limits: {roles: {ghost: {wall: 5s}}}\n")
	require.NoError(t, err)
	// Two years on, the development certificates have expired.
	err = CheckAll(context.Background(), bad, CheckOptions{CacheDir: sharedPolicyCache(t), Now: time.Now().Add(2 * 365 * 24 * time.Hour)})
	require.Error(t, err)
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	msg := err.Error()
	assert.Contains(t, msg, path+":4: listeners[0].tls.cert: certificate \"localhost\"")
	assert.Contains(t, msg, "expired on")
	assert.Contains(t, msg, path+":5: users_file:")
	assert.Contains(t, msg, "no such file")
	assert.Contains(t, msg, path+":8: limits.roles.ghost: no role")
	for _, p := range ce.Problems {
		assert.True(t, strings.HasPrefix(p, path+":"), "located: %s", p)
	}

	bad.Pool.RHome = filepath.Join(t.TempDir(), "no-R")
	err = CheckAll(context.Background(), bad, CheckOptions{CacheDir: sharedPolicyCache(t)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pool.r_home: "+bad.Pool.RHome+" is not an R installation")
}
