package store

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBundleNameAttacks: document names a hostile or corrupt store row
// might hold, each refused before anything is written.
func TestBundleNameAttacks(t *testing.T) {
	for _, name := range []string{
		"policies/users/../../../etc/x.csv",
		"policies/users/..csv",
		"policies/users/a..csv",
		"/etc/passwd",
		"policies/users/a/b.csv",
		`policies\users\x.csv`,
		"policies/users/x.csv\x00.txt",
		"policies/users/x.csv\n",
		"policies/model.conf/x",
		"users.txt/",
		"./users.txt",
		"policies//users/x.csv",
		"policies/users/\u2024\u2024.csv", // one-dot leaders, not dots
		"Users.txt",
		"policies/users/" + strings.Repeat("a", 200) + ".csv",
		"",
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal(map[string]string{"policies/model.conf": "m", name: "x"})
			require.NoError(t, err)
			_, err = decodeBundle(raw)
			assert.Error(t, err)
		})
	}
	// Sizes: one document over its limit, and too many documents.
	big := Bundle{"policies/model.conf": "m", "users.txt": strings.Repeat("a", maxDocBytes+1)}
	assert.Error(t, big.Validate())
	many := Bundle{"policies/model.conf": "m"}
	for i := range maxBundleDocs {
		many["policies/users/u"+jsonNumber(i)+".csv"] = ""
	}
	assert.Error(t, many.Validate())
}

func jsonNumber(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestInstallSymlinkAttacks: links left in the node's store directory
// (a stale "current" pointing elsewhere, a "v<N>.tmp" that is a link to a
// directory outside) are replaced, never written through.
func TestInstallSymlinkAttacks(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "keep")
	require.NoError(t, os.WriteFile(victim, []byte("untouched"), 0o600))
	l := Local{Dir: t.TempDir()}
	require.NoError(t, os.Symlink(outside, filepath.Join(l.Dir, "v3.tmp")))
	require.NoError(t, os.Symlink(outside, filepath.Join(l.Dir, "current")))
	b := Bundle{"policies/model.conf": "m", "users.txt": "alice:x"}
	require.NoError(t, l.Install(3, b, 0))
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "untouched", string(got))
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing written outside the store directory")
	target, err := os.Readlink(l.Current())
	require.NoError(t, err)
	assert.Equal(t, "v3", target)
	fi, err := os.Lstat(filepath.Join(l.Dir, "v3"))
	require.NoError(t, err)
	assert.True(t, fi.IsDir(), "v3 is a directory of its own, not the link")
	users, err := os.ReadFile(l.UsersFile())
	require.NoError(t, err)
	assert.Equal(t, "alice:x", string(users))
}

// TestDSNNotInErrors: the DSN's password appears in no error of the
// store's (which are logged): an unreachable server, a server that is not
// PostgreSQL, a malformed DSN, in both DSN forms.
func TestDSNNotInErrors(t *testing.T) {
	const secret = "s3cr3t-Pw-9f2"
	// A "server" that answers garbage and hangs up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.0 400 "+strings.Repeat("x", 100)+"\r\n\r\n")
			_ = c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	closed := freePort(t)
	for _, dsn := range []string{
		"postgres://rwarden:" + secret + "@127.0.0.1:" + closed + "/rwarden?sslmode=disable",
		"host=127.0.0.1 port=" + closed + " user=rwarden password=" + secret + " dbname=rwarden sslmode=disable",
		"postgres://rwarden:" + secret + "@127.0.0.1:" + port + "/rwarden?sslmode=disable",
		"host=127.0.0.1 port=" + port + " user=rwarden password=" + secret + " sslmode=disable",
		"postgres://rwarden:" + secret + "@127.0.0.1:notaport/x",
		"host=127.0.0.1 password='" + secret + " sslmode=bogus",
	} {
		t.Run(strings.ReplaceAll(dsn, secret, "PW"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _, err := Latest(ctx, dsn)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secret)
			var logs strings.Builder
			n := NewNode(dsn, filepath.Join(t.TempDir(), "store"), slog.New(slog.NewTextHandler(&logs, nil)))
			_, err = n.Bootstrap(ctx)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, logs.String(), secret)
		})
	}
}

// freePort is a TCP port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, ln.Close())
	return port
}
