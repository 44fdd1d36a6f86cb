package auth

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const (
	aliceLine = "alice:$argon2id$v=19$m=64,t=1,p=1$HYE1Ju3pUOunXciw1PfBNA$gZ4QUWBsMaDVUzRfy2cv8QypvgfTZ705MoUQUPgNbvc"
	bobPHC    = "$argon2id$v=19$m=64,t=1,p=1$9zhwdYeR+p7seJVZagdwhg$5A2j9YvvfMBjVD/eYNdvP80r1/YsSU4m9au+x/IBYrY"
)

func TestParseUsersFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		users   []string
		lines   int
	}{
		{"empty", "", []string{}, 0},
		{"only comments", "# a\n\n   \n\t# b", []string{}, 4},
		{"one user no final newline", aliceLine, []string{"alice"}, 1},
		{"two users and comments", "# hi\n" + aliceLine + "\n\nbob:" + bobPHC + "\n", []string{"alice", "bob"}, 4},
		{"comment with CR kept", "# dos comment\r\n" + aliceLine + "\n", []string{"alice"}, 2},
		{"name charset", "a_b.c-9:" + bobPHC + "\n_x:" + bobPHC + "\n", []string{"_x", "a_b.c-9"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseUsersFile("users.txt", []byte(tt.content))
			require.NoError(t, err)
			assert.Equal(t, tt.users, f.users())
			assert.Len(t, f.lines, tt.lines)
		})
	}
}

func TestParseUsersFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"no colon", "# c\nalice\n", "users.txt:2: expected NAME:PHC"},
		{"upper case name", "Alice:" + bobPHC, "users.txt:1: invalid user name"},
		{"empty name", ":" + bobPHC, "users.txt:1: invalid user name"},
		{"leading dot", ".x:" + bobPHC, "users.txt:1: invalid user name"},
		{"leading space name", " alice:" + bobPHC, "users.txt:1: invalid user name"},
		{"name too long", strings.Repeat("a", 65) + ":" + bobPHC, "users.txt:1: invalid user name"},
		{"duplicate", aliceLine + "\n#\nalice:" + bobPHC, `users.txt:3: user "alice" already defined on line 1`},
		{"bad phc", "\n\nbob:$argon2id$v=19$m=64,t=1,p=1$AAAA", `users.txt:3: user "bob": malformed`},
		{"tampered huge memory", "bob:$argon2id$v=19$m=4194304,t=1,p=1$9zhwdYeR+p7seJVZagdwhg$5A2j9YvvfMBjVD/eYNdvP80r1/YsSU4m9au+x/IBYrY", "memory"},
		{"CRLF user line", aliceLine + "\r\n", "users.txt:1: line ends in CR"},
		{"trailing space", aliceLine + " \n", "users.txt:1: user \"alice\": malformed"},
		{"long line", "# " + strings.Repeat("x", maxUsersFileLine), "users.txt:1: line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseUsersFile("users.txt", []byte(tt.content))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "9zhwdYeR", "errors never contain a salt or hash")
			assert.NotContains(t, err.Error(), "gZ4QUWBs", "errors never contain a salt or hash")
		})
	}
}

func TestReadUsersFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.txt")
	require.NoError(t, os.WriteFile(path, make([]byte, maxUsersFileSize+1), 0o600))
	_, err := readUsersFile(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than")
}

// TestUsersFileRewriteGolden edits a file with comments through the public
// API and compares the result byte for byte: comments, blank lines and order
// survive, and the new lines have the documented format.
func TestUsersFileRewriteGolden(t *testing.T) {
	withDeterministicSalts(t)
	in, err := os.ReadFile("testdata/users.txt")
	require.NoError(t, err)
	path := writeUsers(t, string(in))

	require.NoError(t, AddUser(path, "carol", []byte("carol-pw"), fastParams))
	require.NoError(t, SetPassword(path, "alice", []byte("alice-new"), fastParams))
	require.NoError(t, DeleteUser(path, "bob"))

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	golden := "testdata/users_edited.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// FuzzParseUsersFile: parsing never panics, and whatever parses serializes
// to a file that parses to the same users and lines, stably.
func FuzzParseUsersFile(f *testing.F) {
	in, err := os.ReadFile("testdata/users.txt")
	require.NoError(f, err)
	f.Add(in)
	f.Add([]byte(""))
	f.Add([]byte("\n"))
	f.Add([]byte("# c\r\n\r\n" + aliceLine))
	f.Add([]byte(aliceLine + "\n" + aliceLine))
	f.Add([]byte("x:y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		uf, err := parseUsersFile("fuzz", data)
		if err != nil {
			return
		}
		out := uf.bytes()
		uf2, err := parseUsersFile("fuzz", out)
		require.NoError(t, err)
		require.Equal(t, len(uf.lines), len(uf2.lines))
		for i := range uf.lines {
			a, b := uf.lines[i], uf2.lines[i]
			assert.Equal(t, a.user, b.user)
			assert.Equal(t, a.raw, b.raw)
			assert.True(t, a.hash.equal(b.hash))
		}
		assert.Equal(t, out, uf2.bytes())
	})
}
