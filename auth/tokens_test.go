package auth

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tokLine = "0123456789abcdef alice 2026-12-01T10:00:00Z 2026-12-31T10:00:00Z - " +
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"

func TestParseTokensFile(t *testing.T) {
	f, err := parseTokensFile("t", []byte("# comment\n\n"+tokLine))
	require.NoError(t, err)
	require.Len(t, f.tokens(), 1)
	ti := f.tokens()[0]
	assert.Equal(t, "0123456789abcdef", ti.ID)
	assert.Equal(t, "alice", ti.User)
	assert.True(t, ti.Revoked.IsZero())
	assert.Equal(t, "# comment\n\n"+tokLine, string(f.bytes()), "a rewrite keeps the file byte for byte")
}

func TestParseTokensFileErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"no final newline", strings.TrimSuffix(tokLine, "\n"), "no newline"},
		{"five fields", "0123456789abcdef alice 2026-12-01T10:00:00Z 2026-12-31T10:00:00Z -\n", "expected 6 fields"},
		{"double space", strings.Replace(tokLine, " ", "  ", 1), "expected 6 fields"},
		{"upper id", strings.Replace(tokLine, "0123456789abcdef", "0123456789ABCDEF", 1), "invalid token id"},
		{"bad user", strings.Replace(tokLine, "alice", "Alice", 1), "invalid user name"},
		{"local time", strings.Replace(tokLine, "2026-12-01T10:00:00Z", "2026-12-01T10:00:00+01:00", 1), "created: invalid time"},
		{"expires before created", strings.Replace(tokLine, "2026-12-31", "2026-11-30", 1), "expires before"},
		{"bad revoked", strings.Replace(tokLine, " - ", " yes ", 1), "revoked: invalid time"},
		{"short hash", strings.Replace(tokLine, "aaaa\n", "\n", 1), "invalid SHA-256"},
		{"duplicate id", tokLine + tokLine, "already used on line 1"},
		{"CRLF", strings.Replace(tokLine, "\n", "\r\n", 1), "invalid SHA-256"},
		{"long line", strings.Repeat("#", 600) + "\n", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTokensFile("t", []byte(tt.content))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "aaaaaaaa", "errors never quote a hash")
		})
	}
}

func FuzzParseTokensFile(f *testing.F) {
	f.Add([]byte(tokLine))
	f.Add([]byte("# x\n\n" + tokLine))
	f.Add([]byte(strings.Replace(tokLine, " - ", " 2026-12-02T00:00:00Z ", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := parseTokensFile("t", data)
		if err != nil {
			return
		}
		// What parses serializes back to a file that parses the same.
		again, err := parseTokensFile("t", tf.bytes())
		require.NoError(t, err)
		require.Equal(t, tf.tokens(), again.tokens())
	})
}

func TestSplitToken(t *testing.T) {
	tok, id, err := newToken()
	require.NoError(t, err)
	require.Len(t, tok, tokenLen)
	got, ok := splitToken(tok)
	require.True(t, ok)
	assert.Equal(t, id, got)
	for _, bad := range []string{"", tok[:len(tok)-1], tok + "A", "x" + tok[1:], strings.Replace(tok, "_", "-", 1),
		tok[:len(tok)-1] + "=", tok[:len(tok)-1] + "\n", strings.ToUpper(tok[:20]) + tok[20:]} {
		_, ok := splitToken(bad)
		assert.False(t, ok, "%q", bad)
	}
}

func TestTokensLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokensFileName)
	var mu sync.Mutex
	var reloads []TokenReload
	ts, err := OpenTokens(path, nil, func(r TokenReload) { mu.Lock(); reloads = append(reloads, r); mu.Unlock() })
	require.NoError(t, err, "a missing tokens file is no tokens")
	now := time.Now()

	_, err = ts.Verify("rwt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now)
	require.ErrorIs(t, err, ErrUnknownToken)

	tok, info, err := CreateToken(path, "alice", 30*24*time.Hour, now)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), tok[len(tokenPrefix)+17:], "the token is stored only hashed")

	got, err := ts.Verify(tok, now)
	require.NoError(t, err, "a new token is seen on the next check")
	assert.Equal(t, info, got)
	mu.Lock()
	require.Len(t, reloads, 1)
	assert.Equal(t, []TokenInfo{info}, reloads[0].Added)
	mu.Unlock()

	tests := []struct {
		name string
		tok  string
		at   time.Time
		want error
	}{
		{"wrong secret", tok[:len(tok)-2] + "AA", now, ErrUnknownToken},
		{"malformed", "abc", now, ErrMalformedToken},
		{"expired", tok, now.Add(31 * 24 * time.Hour), ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ts.Verify(tt.tok, tt.at)
			require.ErrorIs(t, err, tt.want)
		})
	}

	list, err := ListTokens(path)
	require.NoError(t, err)
	require.Equal(t, []TokenInfo{info}, list)

	rev, err := RevokeToken(path, info.ID, now)
	require.NoError(t, err)
	assert.Equal(t, "revoked", rev.State(now))
	got, err = ts.Verify(tok, now)
	require.ErrorIs(t, err, ErrTokenRevoked)
	assert.Equal(t, "alice", got.User, "a revoked token still names its user for the audit")
	mu.Lock()
	require.Len(t, reloads, 2)
	assert.Equal(t, info.ID, reloads[1].Revoked[0].ID)
	mu.Unlock()

	_, err = RevokeToken(path, "ffffffffffffffff", now)
	require.ErrorIs(t, err, ErrUnknownTokenID)
}

func TestTokensFailClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokensFileName)
	tok, _, err := CreateToken(path, "bob", time.Hour, time.Now())
	require.NoError(t, err)
	ts, err := OpenTokens(path, nil, nil)
	require.NoError(t, err)
	_, err = ts.Verify(tok, time.Now())
	require.NoError(t, err)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append([]byte("garbage\n"), data...), 0o600))
	_, err = ts.Verify(tok, time.Now())
	require.ErrorIs(t, err, ErrTokensFile, "a broken file refuses every token")

	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err = ts.Verify(tok, time.Now())
	require.NoError(t, err, "fixing the file restores the tokens")

	_, err = OpenTokens(filepath.Join(t.TempDir(), "x"), nil, nil)
	require.NoError(t, err)
	bad := filepath.Join(t.TempDir(), TokensFileName)
	require.NoError(t, os.WriteFile(bad, []byte("garbage\n"), 0o600))
	_, err = OpenTokens(bad, nil, nil)
	require.Error(t, err, "a malformed file at start-up is an error")
}

func TestCreateTokenBounds(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokensFileName)
	_, _, err := CreateToken(path, "Bad", time.Hour, time.Now())
	require.ErrorIs(t, err, ErrInvalidName)
	for _, ttl := range []time.Duration{0, -time.Hour, MaxTokenLifetime + time.Second} {
		_, _, err = CreateToken(path, "alice", ttl, time.Now())
		require.Error(t, err, "%v", ttl)
	}
	assert.Equal(t, "/etc/rwarden/tokens.txt", TokensFileFor("/etc/rwarden/users.txt"))
}

func TestTokensUnreadableReportedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokensFileName)
	n := 0
	ts, err := OpenTokens(path, nil, func(TokenReload) { n++ })
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(path, 0o700)) // a directory where the file should be
	for range 3 {
		require.ErrorIs(t, ts.Refresh(), ErrTokensFile)
	}
	assert.Equal(t, 1, n, "a lasting failure is reported once, not on every check")
}
