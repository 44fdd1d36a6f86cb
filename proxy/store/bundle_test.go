package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validBundle() Bundle {
	return Bundle{
		PoliciesPrefix + "model.conf":        "[request_definition]\n",
		PoliciesPrefix + "roles/analyst.csv": "p, role:analyst, base::sum, call, allow\n",
		PoliciesPrefix + "users/alice.csv":   "g, alice, role:analyst\n",
		UsersFile:                            "alice:$argon2id$...\n",
	}
}

func TestBundleValidate(t *testing.T) {
	big := strings.Repeat("x", maxDocBytes+1)
	tests := []struct {
		name string
		edit func(Bundle)
		want string
	}{
		{"valid", func(Bundle) {}, ""},
		{"parent path", func(b Bundle) { b["policies/users/../../../etc/passwd.csv"] = "" }, "not allowed"},
		{"absolute", func(b Bundle) { b["/etc/passwd"] = "" }, "not allowed"},
		{"unknown document", func(b Bundle) { b["policies/other/x.csv"] = "" }, "not allowed"},
		{"hidden user file", func(b Bundle) { b["policies/users/.x.csv"] = "" }, "not allowed"},
		{"too big", func(b Bundle) { b[UsersFile] = big }, "more than"},
		{"no model", func(b Bundle) { delete(b, PoliciesPrefix+"model.conf") }, "no policies/model.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := validBundle()
			tt.edit(b)
			err := b.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSetPoliciesKeepsUsers(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "roles"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "users"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "model.conf"), []byte("model"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "users", "bob.csv"), []byte("g, bob, role:x\n"), 0o600))
	b := validBundle()
	require.NoError(t, b.SetPolicies(dir))
	assert.Equal(t, []string{"policies/model.conf", "policies/users/bob.csv", "users.txt"}, b.Names(),
		"old policy files replaced, the users file kept")
}

func TestLocalInstall(t *testing.T) {
	l := Local{Dir: filepath.Join(t.TempDir(), "store")}
	assert.Zero(t, l.CurrentVersion())
	for v := int64(1); v <= 3; v++ {
		b := validBundle()
		b[UsersFile] = "version " + string(rune('0'+v))
		require.NoError(t, l.Install(v, b, v-1))
		assert.Equal(t, v, l.CurrentVersion())
		data, err := os.ReadFile(l.UsersFile())
		require.NoError(t, err)
		assert.Equal(t, b[UsersFile], string(data), "current points at the version just installed")
		_, err = os.Stat(filepath.Join(l.PoliciesDir(), "roles", "analyst.csv"))
		require.NoError(t, err)
	}
	_, err := os.Stat(filepath.Join(l.Dir, "v1"))
	assert.True(t, os.IsNotExist(err), "versions before the previous one are pruned")
	_, err = os.Stat(filepath.Join(l.Dir, "v2"))
	assert.NoError(t, err, "the previous version is kept for a reload still reading it")
	fi, err := os.Stat(filepath.Join(l.Dir, "v3", TokensFile))
	require.NoError(t, err, "a missing tokens file is written empty")
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestReadDSN(t *testing.T) {
	secret := "postgres://u:s3cret-pw@127.0.0.1:1/db"
	dir := t.TempDir()
	good := filepath.Join(dir, "dsn")
	require.NoError(t, os.WriteFile(good, []byte(secret+"\n"), 0o600))
	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("postgres://u:s3cret-pw@[::1/x%zz"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("RWARDEN_TEST_DSN", secret)
	tests := []struct {
		spec, want, err string
	}{
		{good, secret, ""},
		{"env:RWARDEN_TEST_DSN", secret, ""},
		{"env:RWARDEN_TEST_UNSET_DSN", "", "not set"},
		{empty, "", "empty"},
		{bad, "", "not a valid PostgreSQL connection string"},
		{filepath.Join(dir, "missing"), "", "no such file"},
		{dir, "", "not a regular file"},
	}
	for _, tt := range tests {
		got, err := ReadDSN(tt.spec)
		if tt.err != "" {
			require.Error(t, err, tt.spec)
			assert.Contains(t, err.Error(), tt.err)
			assert.NotContains(t, err.Error(), "s3cret", "the DSN's password never appears in an error")
			continue
		}
		require.NoError(t, err, tt.spec)
		assert.Equal(t, tt.want, got)
	}
}

// FuzzDecodeBundle: documents read from the store are written to the
// node's disk; whatever the row holds, decoding must not panic and a bundle
// it accepts must write only inside its directory.
func FuzzDecodeBundle(f *testing.F) {
	f.Add([]byte(`{"policies/model.conf":"m","users.txt":"a:b"}`))
	f.Add([]byte(`{"policies/model.conf":"m","policies/users/../../x.csv":""}`))
	f.Add([]byte(`{"policies/model.conf":"m","/etc/x":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := decodeBundle(raw)
		if err != nil {
			return
		}
		root := t.TempDir()
		dir := filepath.Join(root, "v")
		require.NoError(t, b.WriteDir(dir))
		for name := range b {
			p := filepath.Join(dir, filepath.FromSlash(name))
			rel, err := filepath.Rel(dir, p)
			require.NoError(t, err)
			assert.False(t, strings.HasPrefix(rel, ".."), "document %q written outside its directory", name)
		}
	})
}

// A rejected version must not stay on disk as the one loaders read: the
// version in force before it is kept however many are rejected after it,
// and "current" can be pointed back to it.
func TestLocalKeepsVersionInForce(t *testing.T) {
	l := Local{Dir: filepath.Join(t.TempDir(), "store")}
	for v := int64(1); v <= 3; v++ {
		require.NoError(t, l.Install(v, validBundle(), v-1))
	}
	for v := int64(4); v <= 6; v++ { // rejected versions, 3 stays in force
		require.NoError(t, l.Install(v, validBundle(), 3))
		require.NoError(t, l.Point(3))
		assert.Equal(t, int64(3), l.CurrentVersion())
	}
	_, err := os.Stat(filepath.Join(l.Dir, "v3"))
	require.NoError(t, err, "the version in force is never pruned")
	_, err = os.Stat(filepath.Join(l.Dir, "v2"))
	assert.True(t, os.IsNotExist(err), "older ones are")
	assert.Error(t, l.Point(2), "a version that is gone cannot be pointed to")
	assert.Equal(t, int64(3), l.CurrentVersion())
}
