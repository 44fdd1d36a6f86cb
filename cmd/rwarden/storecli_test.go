package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/rwarden/rwarden/proxy/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUserCLIStoreFlags(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.txt")
	_, stderr, code := runUser(t, "", "list")
	assert.NotZero(t, code)
	assert.Contains(t, stderr, "users store")
	_, stderr, code = runUser(t, "", "list", "--users", users, "--store", "env:X")
	assert.NotZero(t, code)
	assert.Contains(t, stderr, "none of the others can be")
}

// `rwarden user --store`: each change is a new version in the store, made
// by the same code that edits a users file; unreachable: refused.
func TestUserCLIStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := pgtest.Start(t)
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(dsnFile, []byte(pg.DSN()), 0o600))
	_, err := store.Init(context.Background(), pg.DSN(), store.Bundle{store.PoliciesPrefix + "model.conf": "m"}, "test")
	require.NoError(t, err)

	steps := []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
		stderrHas   string
	}{
		{"add alice", "alice-pw\n", append([]string{"add", "--store", dsnFile, "alice"}, cheap...), 0, "", "stored policy version 2"},
		{"add alice again", "x\n", append([]string{"add", "--store", dsnFile, "alice"}, cheap...), 1, "", "exists"},
		{"add bob", "bob-pw\n", append([]string{"add", "--store", dsnFile, "bob"}, cheap...), 0, "", "stored policy version 3"},
		{"list", "", []string{"list", "--store", dsnFile}, 0, "alice\nbob\n", ""},
		{"del alice", "", []string{"del", "--store", dsnFile, "alice"}, 0, "", "stored policy version 4"},
		{"list again", "", []string{"list", "--store", dsnFile}, 0, "bob\n", ""},
	}
	for _, s := range steps {
		stdout, stderr, code := runUser(t, s.stdin, s.args...)
		assert.Equal(t, s.code, code, "%s: %s", s.name, stderr)
		assert.Equal(t, s.stdout, stdout, s.name)
		assert.Contains(t, stderr, s.stderrHas, s.name)
	}
	v, b, err := store.Latest(context.Background(), pg.DSN())
	require.NoError(t, err)
	assert.Equal(t, int64(4), v, "a refused change made no version")
	assert.Contains(t, b[store.UsersFile], "bob:$argon2id$")
	assert.NotContains(t, b[store.UsersFile], "alice-pw")

	pg.Stop(t)
	_, stderr, code := runUser(t, "carol-pw\n", append([]string{"add", "--store", dsnFile, "carol"}, cheap...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "change refused, nothing was changed: the store is unreachable")
}

// `rwarden token --store`: tokens are created and revoked in the store's
// tokens file; the token is printed only once stored.
func TestTokenCLIStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := pgtest.Start(t)
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(dsnFile, []byte(pg.DSN()), 0o600))
	_, err := store.Init(context.Background(), pg.DSN(), store.Bundle{store.PoliciesPrefix + "model.conf": "m"}, "test")
	require.NoError(t, err)

	tok, stderr, code := runCommand(newTokenCmd(), "", "create", "--store", dsnFile, "--user", "alice")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "stored policy version 2")
	tok = strings.TrimSpace(tok)
	require.True(t, strings.HasPrefix(tok, "rwt_"), tok)
	id := tok[len("rwt_") : len("rwt_")+16]
	out, stderr, code := runCommand(newTokenCmd(), "", "list", "--store", dsnFile)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, id+" alice ")
	assert.Contains(t, out, " valid")
	_, stderr, code = runCommand(newTokenCmd(), "", "revoke", "--store", dsnFile, id)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "stored policy version 3")
	out, _, _ = runCommand(newTokenCmd(), "", "list", "--store", dsnFile)
	assert.Contains(t, out, " revoked")
	_, b, err := store.Latest(context.Background(), pg.DSN())
	require.NoError(t, err)
	assert.NotContains(t, b[store.TokensFile], tok[len("rwt_")+17:], "only the token's hash is stored")

	pg.Stop(t)
	tok, stderr, code = runCommand(newTokenCmd(), "", "create", "--store", dsnFile, "--user", "alice")
	assert.Equal(t, 1, code)
	assert.Empty(t, tok, "a token that was not stored is never shown")
	assert.Contains(t, stderr, "change refused, nothing was changed")
}
