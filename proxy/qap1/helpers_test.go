package qap1_test

import (
	"strings"
	"testing"

	"github.com/rwarden/rwarden/internal/testutil"
)

// runR runs an R script (real R) in dir and returns its standard output.
func runR(t *testing.T, dir, script string) string {
	t.Helper()
	return testutil.RunR(t, dir, script)
}

func needRSclient(t *testing.T, dir string) {
	t.Helper()
	out := runR(t, dir, `cat(requireNamespace("RSclient", quietly = TRUE))`)
	if strings.TrimSpace(out) != "TRUE" {
		t.Skip("RSclient is not installed (r-cran-rsclient)")
	}
}
