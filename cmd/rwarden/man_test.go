package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestManPages generates the pages from the real command tree and checks
// that every visible command has one, with its flags, and the hidden
// generator itself has none.
func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	out, errOut, code := runCommand(rootCmd, "", "man", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "man pages to "+dir)

	tests := []struct{ page, want string }{
		{"rwarden.1", `.TH "RWARDEN" "1"`},
		{"rwarden-serve.1", `\fB--config\fP`},
		{"rwarden-eval.1", `\fB--tls-ca\fP`},
		{"rwarden-version.1", `\fB--r-home\fP`},
		{"rwarden-audit-verify.1", "verify"},
		{"rwarden-user-add.1", "add"},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(dir, tt.page))
		if assert.NoError(t, err, tt.page) {
			assert.Contains(t, string(b), tt.want, tt.page)
		}
	}
	assert.NoFileExists(t, filepath.Join(dir, "rwarden-man.1"))
}
