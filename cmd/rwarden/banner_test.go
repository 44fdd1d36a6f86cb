package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBannerCommandsArePasteable prepares the embedded defaults in a
// relative state directory, as `make run` does, and checks that every
// command the banner prints names its files by absolute paths that exist,
// so that it works pasted into a shell in any directory.
func TestBannerCommandsArePasteable(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	st, err := setup.PrepareDefaultState(".state", policies.FS, func() auth.Params { p := auth.DefaultParams(); p.MemoryKiB, p.Time = 64, 1; return p }())
	require.NoError(t, err)

	// A source tree: bin/rwarden and clients/python/rwarden_client.py.
	bin := filepath.Join(work, "src", "bin")
	client := filepath.Join(work, "src", "clients", "python", "rwarden_client.py")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Dir(client), 0o755))
	require.NoError(t, os.WriteFile(client, nil, 0o644))
	self := filepath.Join(bin, "rwarden")

	tests := []struct {
		name, exeDir string
		wantPython   bool
	}{
		{"source tree", bin, true},
		{"no client beside the binary", t.TempDir(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printBanner(&out, st, self, tt.exeDir)
			text := out.String()
			var cmds []string
			for _, l := range strings.Split(text, "\n") {
				if strings.Contains(l, " eval ") || strings.Contains(l, "python3 ") {
					cmds = append(cmds, strings.TrimSpace(l))
				}
			}
			want := 2
			if tt.wantPython {
				want = 3
			}
			require.Len(t, cmds, want, text)
			for _, c := range cmds {
				if strings.Contains(c, " eval ") {
					assert.Regexp(t, `(^| )`+regexp.QuoteMeta(self)+` eval --addr 127\.0\.0\.1:9443 `, c)
				} else {
					assert.Contains(t, c, "python3 "+client+" --hostname 127.0.0.1 --port 9443 ")
				}
				for _, f := range strings.Fields(c) {
					if strings.HasSuffix(f, ".pem") || strings.HasSuffix(f, ".key") || strings.HasSuffix(f, ".py") {
						assert.True(t, filepath.IsAbs(f), "%s in %q", f, c)
						assert.FileExists(t, f)
					}
				}
			}
			assert.Contains(t, text, "demo user: demo   password: "+st.DemoPassword)
		})
	}
}

// TestSelfCommand: the banner says "rwarden" only when that name on PATH is
// this very binary, else the binary's absolute path.
func TestSelfCommand(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	same := t.TempDir()
	require.NoError(t, os.Symlink(exe, filepath.Join(same, "rwarden")))
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "rwarden"), []byte("#!/bin/sh\n"), 0o755))

	tests := []struct{ name, path, want string }{
		{"this binary on PATH", same, "rwarden"},
		{"another rwarden on PATH", other, exe},
		{"none on PATH", t.TempDir(), exe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			assert.Equal(t, tt.want, selfCommand())
			assert.True(t, filepath.IsAbs(exe))
		})
	}
}
