package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestLoadConfigFull(t *testing.T) {
	c, err := Load("testdata/config/good_full.yaml")
	require.NoError(t, err)
	dir, err := filepath.Abs("testdata/config")
	require.NoError(t, err)

	assert.Equal(t, filepath.Join(dir, "state"), c.StateDir, "relative to the config file")
	assert.Equal(t, "/etc/rwarden/users.txt", c.UsersFile, "absolute stays")
	assert.Equal(t, filepath.Join(dir, "state", "policies"), c.PoliciesDir, "unset: under state_dir")
	assert.Equal(t, filepath.Join(dir, "logs", "audit.jsonl"), c.Audit.File)
	require.Len(t, c.Listeners, 3)

	tl := c.Listeners[0]
	assert.Equal(t, filepath.Join(dir, "server.pem"), tl.TLS.Cert)
	assert.Equal(t, filepath.Join(dir, "ca.pem"), tl.TLS.ClientCA)
	assert.Equal(t, ClientAuthRequest, tl.TLS.ClientAuth)
	assert.Equal(t, Size(1<<20), tl.MaxCodeBytes, "listener default")
	assert.Equal(t, 10*time.Second, tl.ReadTimeout.Std(), "listener default")
	assert.Equal(t, ProtocolFramed, tl.Protocol)

	assert.Equal(t, "guest", c.Listeners[1].AnonymousUser)
	assert.Equal(t, ClientAuthNone, c.Listeners[1].TLS.ClientAuth)

	ul := c.Listeners[2]
	assert.True(t, ul.IsUnix())
	assert.Equal(t, "unix:"+filepath.Join(dir, "run", "rwarden.sock"), ul.Address)
	assert.Equal(t, os.FileMode(0o600), ul.UnixMode.Perm())
	assert.Equal(t, Size(64<<10), ul.MaxCodeBytes)
	assert.Equal(t, 2*time.Second, ul.ReadTimeout.Std())

	assert.Equal(t, "never", c.Audit.Fsync)
	assert.Equal(t, Size(100<<20), c.Audit.RotateBytes)
	assert.Equal(t, 24*time.Hour, c.Audit.RotateEvery.Std())
	assert.Equal(t, "hash_only", c.Audit.Code)
	assert.Equal(t, UIDRange{First: 62000, Last: 62099}, c.Pool.UIDRange)
	assert.Equal(t, 100, c.Pool.UIDRange.Len())
	assert.Equal(t, 8, c.Pool.Max)
	assert.Equal(t, 10*time.Second, c.Pool.AcquireTimeout.Std(), "pool default kept")
	require.NotNil(t, c.Pool.BusyPoll)
	assert.Equal(t, time.Millisecond, c.Pool.BusyPoll.Std())
	assert.Equal(t, uint32(64<<10), c.Auth.Argon2.MemoryKiB())
	assert.Equal(t, uint8(2), c.Auth.Argon2.Threads)
	assert.Equal(t, 5*time.Second, c.ShutdownGrace.Std())
}

// Every bad file's complete error text is pinned in a golden file: the
// messages are the operator's interface.
func TestLoadErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/config/bad_*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			require.Error(t, err)
			assert.Nil(t, c)
			var ce *Error
			require.ErrorAs(t, err, &ce)
			for _, p := range ce.Problems {
				assert.True(t, strings.HasPrefix(p, f), "each problem names the file: %q", p)
			}
			goldenFile(t, strings.TrimSuffix(f, ".yaml")+".golden", err.Error()+"\n")
		})
	}
}

func goldenFile(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing; run go test -update")
	assert.Equal(t, string(want), got, "differs from %s (run with -update if intended)", path)
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load("../../docs/rwarden.example.yaml")
	require.NoError(t, err, "the documented example must stay valid")
	assert.NotEmpty(t, c.Listeners)
	// The example documents every key: decoding it must have touched them all.
	data, err := os.ReadFile("../../docs/rwarden.example.yaml")
	require.NoError(t, err)
	for _, key := range []string{"state_dir", "listeners", "address", "protocol", "tls", "cert", "key",
		"client_ca", "client_auth", "cert_user", "plaintext", "anonymous_user", "unix_mode", "max_code_bytes",
		"read_timeout", "users_file", "policies_dir", "audit", "fsync", "rotate_bytes", "rotate_every", "code",
		"syslog", "admin", "allow_remote", "limits", "default", "roles", "users", "wall", "cpu", "memory",
		"output", "sessions", "session_wall", "session_cpu", "pool", "warm", "max", "acquire_timeout",
		"scratch_bytes", "uid_range", "user", "r_home", "busy_poll", "insecure_no_sandbox", "auth", "argon2", "time",
		"threads", "max_concurrent_hashes", "shutdown_grace", "max_connections", "connections", "per_address", "reserve_fds",
		"free_space_warn", "free_space_critical", "cluster", "node", "proxy_protocol", "from", "optional", "header_timeout",
		"throttle", "login", "failure_delay", "max_failure_delay", "forget_every", "user_guesses_per_minute",
		"user_guess_burst", "trust_for", "requests", "evaluations_per_minute", "evaluation_burst",
		"denials_per_minute", "denial_burst", "full_records", "window",

		"data", "libraries", "workspace", "enabled", "dir", "quota", "source", "target", "write"} {
		assert.Contains(t, string(data), key+":", "example config does not document %s", key)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"0", 0, true}, {"1024", 1024, true}, {"64KiB", 64 << 10, true}, {"512MiB", 512 << 20, true},
		{"1GiB", 1 << 30, true}, {"2TiB", 2 << 40, true}, {"1 GiB", 1 << 30, true}, {"1gib", 1 << 30, true},
		{"10MB", 10_000_000, true}, {"5B", 5, true},
		{"1.5GiB", 0, false}, {"-1", 0, false}, {"1G", 0, false}, {"lots", 0, false}, {"", 0, false},
		{"9999999TiB", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			back, err := ParseSize(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back, "String must parse back")
		})
	}
}

func TestIsLoopbackOrUnix(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9090", true}, {"127.1.2.3:1", true}, {"[::1]:9090", true}, {"localhost:9090", true},
		{"LOCALHOST:1", true}, {"unix:/run/x.sock", true},
		{"0.0.0.0:9090", false}, {":9090", false}, {"[::]:9090", false}, {"10.0.0.1:9090", false},
		{"example.org:9090", false}, {"unix:", false}, {"127.0.0.1", false}, {"", false},
		{"[::ffff:127.0.0.1]:1", true},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, tc.want, IsLoopbackOrUnix(tc.addr))
		})
	}
}

// The configuration is operator input, but a crash on a typo would still be
// a bug: whatever the bytes, parseConfig returns a config or a Error.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/config/*.yaml")
	files = append(files, "../../docs/rwarden.example.yaml")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml", "/base")
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("error is not a Error with problems: %v", err)
			}
			return
		}
		if len(c.Listeners) == 0 {
			t.Fatal("accepted a configuration without listeners")
		}
		for _, l := range c.Listeners {
			if l.Plaintext && !IsLoopbackOrUnix(l.Address) {
				t.Fatalf("accepted plaintext on %q", l.Address)
			}
		}
	})
}
