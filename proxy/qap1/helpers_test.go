package qap1_test

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

// rscript finds Rscript; tests that need R skip under -short or without it.
func rscript(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs R (skipped by -short)")
	}
	rs := "/usr/lib/R/bin/Rscript"
	if _, err := os.Stat(rs); err == nil {
		return rs
	}
	p, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("R is not installed (make deps installs it)")
	}
	return p
}

// runR runs an R script (real R) in dir and returns its standard output.
func runR(t *testing.T, dir, script string) string {
	t.Helper()
	rs := rscript(t)
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

func needRSclient(t *testing.T, dir string) {
	t.Helper()
	out := runR(t, dir, `cat(requireNamespace("RSclient", quietly = TRUE))`)
	if strings.TrimSpace(out) != "TRUE" {
		t.Skip("RSclient is not installed (r-cran-rsclient)")
	}
}
