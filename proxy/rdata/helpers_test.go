package rdata_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runR runs an R script with Rscript (real R, no stand-in) in dir and
// returns its standard output. Tests that need it skip under -short or
// without R.
func runR(t *testing.T, dir, script string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs R (skipped by -short)")
	}
	rs := "/usr/lib/R/bin/Rscript"
	if _, err := os.Stat(rs); err != nil {
		p, err := exec.LookPath("Rscript")
		if err != nil {
			t.Skip("R is not installed (make deps installs it)")
		}
		rs = p
	}
	f := filepath.Join(dir, "script.R")
	require.NoError(t, os.WriteFile(f, []byte(script), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rs, "--vanilla", f)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "Rscript failed: %s", stderr.String())
	return string(out)
}

// rString quotes s as an R string literal (ASCII, escapes for the rest).
func rString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r >= 0x7f:
			b.WriteString(`\u{`)
			b.WriteString(strings.ToLower(strings.TrimLeft(hex4(r), "0")))
			b.WriteString("}")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hex4(r rune) string {
	const digits = "0123456789ABCDEF"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[r&0xf]
		r >>= 4
	}
	return string(b[:])
}
