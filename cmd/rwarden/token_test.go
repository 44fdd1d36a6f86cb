package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rwarden/rwarden/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenCLI(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.txt")
	ts, err := auth.OpenTokens(auth.TokensFileFor(users), nil, nil)
	require.NoError(t, err)

	out, errs, code := runCommand(newTokenCmd(), "", "create", "--users", users, "--user", "alice", "--expires", "30d")
	require.Equal(t, 0, code, errs)
	tok := strings.TrimSpace(out)
	info, err := ts.Verify(tok, time.Now())
	require.NoError(t, err, "the printed token is the one stored")
	assert.Equal(t, "alice", info.User)
	assert.WithinDuration(t, time.Now().Add(30*24*time.Hour), info.Expires, time.Minute)
	assert.Contains(t, errs, info.ID)
	assert.NotContains(t, errs, tok, "the token goes to stdout only")

	out, errs, code = runCommand(newTokenCmd(), "", "list", "--users", users)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^`+info.ID+` alice \S+ \S+ valid\n$`, out)
	assert.NotContains(t, out, tok)

	out, _, code = runCommand(newTokenCmd(), "", "list", "--users", users, "--user", "bob")
	require.Equal(t, 0, code)
	assert.Empty(t, out)

	_, errs, code = runCommand(newTokenCmd(), "", "revoke", "--users", users, info.ID)
	require.Equal(t, 0, code, errs)
	_, err = ts.Verify(tok, time.Now())
	require.ErrorIs(t, err, auth.ErrTokenRevoked)
	out, _, _ = runCommand(newTokenCmd(), "", "list", "--users", users)
	assert.Contains(t, out, " revoked\n")

	bad := []struct {
		name string
		args []string
		code int
	}{
		{"bad user", []string{"create", "--users", users, "--user", "Bob"}, 2},
		{"no user", []string{"create", "--users", users}, 1},
		{"zero days", []string{"create", "--users", users, "--user", "bob", "--expires", "0d"}, 2},
		{"too long", []string{"create", "--users", users, "--user", "bob", "--expires", "400d"}, 2},
		{"garbage expiry", []string{"create", "--users", users, "--user", "bob", "--expires", "soon"}, 2},
		{"unknown id", []string{"revoke", "--users", users, "ffffffffffffffff"}, 1},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, code := runCommand(newTokenCmd(), "", tc.args...)
			assert.Equal(t, tc.code, code)
		})
	}
	_, err = parseLifetime("12h")
	require.NoError(t, err)
}
