package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/auth"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runUser runs `rwarden user ARGS...` through a fresh cobra command with
// stdin, and returns stdout, stderr and the exit status run() would give.
func runUser(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCommand(newUserCmd(), stdin, args...)
}

// runCommand runs a subcommand with stdin and args and returns its output
// and the exit status run() would give.
func runCommand(cmd *cobra.Command, stdin string, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err == nil {
		return out.String(), errb.String(), 0
	}
	errb.WriteString(err.Error())
	var ee *exitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.code
	}
	return out.String(), errb.String(), 1
}

// cheap keeps argon2 fast in CLI tests.
var cheap = []string{"--argon-memory", "64", "--argon-time", "1"}

func TestUserCLI(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.txt")
	steps := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		stdout     string
		stderrHas  string
		goodLogins map[string]string
	}{
		{"list missing file", "", []string{"list", "--users", users}, 1, "", "no such file", nil},
		{"add alice", "alice-pw\n", append([]string{"add", "--users", users, "alice"}, cheap...), 0, "", "added user alice", map[string]string{"alice": "alice-pw"}},
		{"add bob CRLF no newline", "bob pw ✓\r\n", append([]string{"add", "--users", users, "bob"}, cheap...), 0, "", "added user bob", map[string]string{"bob": "bob pw ✓"}},
		{"add existing", "other-secret\n", append([]string{"add", "--users", users, "alice"}, cheap...), 1, "", "already exists", map[string]string{"alice": "alice-pw"}},
		{"add empty password", "\n", append([]string{"add", "--users", users, "carol"}, cheap...), 2, "", "empty password", nil},
		{"add no stdin", "", append([]string{"add", "--users", users, "carol"}, cheap...), 2, "", "empty password", nil},
		{"add two lines", "a\nb\n", append([]string{"add", "--users", users, "carol"}, cheap...), 2, "", "exactly one line", nil},
		{"add invalid name", "pw\n", append([]string{"add", "--users", users, "Carol"}, cheap...), 2, "", "invalid user name", nil},
		{"add absurd params", "pw\n", []string{"add", "--users", users, "--argon-memory", "99999999", "carol"}, 2, "", "memory", nil},
		{"add without --users", "pw\n", []string{"add", "carol"}, 1, "", "users", nil},
		{"list", "", []string{"list", "--users", users}, 0, "alice\nbob\n", "", nil},
		{"passwd alice", "new-alice\n", append([]string{"passwd", "--users", users, "alice"}, cheap...), 0, "", "changed the password of alice", map[string]string{"alice": "new-alice"}},
		{"passwd unknown", "pw\n", append([]string{"passwd", "--users", users, "zed"}, cheap...), 1, "", "no such user", nil},
		{"del bob", "", []string{"del", "--users", users, "bob"}, 0, "", "deleted user bob", nil},
		{"del bob again", "", []string{"del", "--users", users, "bob"}, 1, "", "no such user", nil},
		{"del invalid", "", []string{"del", "--users", users, "../x"}, 2, "", "invalid user name", nil},
		{"list after", "", []string{"list", "--users", users}, 0, "alice\n", "", nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			stdout, stderr, code := runUser(t, st.stdin, st.args...)
			assert.Equal(t, st.code, code, "stderr: %s", stderr)
			assert.Equal(t, st.stdout, stdout)
			assert.Contains(t, stderr, st.stderrHas)
			// Every password in this table long enough to be recognisable.
			if pw := strings.TrimRight(st.stdin, "\r\n"); len(pw) >= 6 {
				assert.NotContains(t, stdout+stderr, pw, "password never printed")
			}
			assert.NotContains(t, stdout+stderr, "$argon2id$", "hash never printed")
			if len(st.goodLogins) == 0 {
				return
			}
			s, err := auth.OpenStore(users)
			require.NoError(t, err)
			for u, pw := range st.goodLogins {
				assert.NoError(t, s.Verify(t.Context(), u, []byte(pw)), "user %s", u)
			}
		})
	}
	st, err := os.Stat(users)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestReadPasswordLine(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{"plain", "secret\n", "secret", ""},
		{"no newline", "secret", "secret", ""},
		{"crlf", "secret\r\n", "secret", ""},
		{"spaces kept", "  sp ace \n", "  sp ace ", ""},
		{"empty", "", "", "empty password"},
		{"blank line", "\n", "", "empty password"},
		{"two lines", "a\nb", "", "exactly one line"},
		{"trailing blank line", "a\n\n", "", "exactly one line"},
		{"max length", strings.Repeat("x", auth.MaxPasswordLen) + "\n", strings.Repeat("x", auth.MaxPasswordLen), ""},
		{"too long", strings.Repeat("x", auth.MaxPasswordLen+1), "", "longer than"},
		{"huge", strings.Repeat("x", 10<<20), "", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPasswordLine(strings.NewReader(tt.in))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}
