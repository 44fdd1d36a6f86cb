package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"github.com/rwarden/rwarden/sandbox"
	seccomp "github.com/seccomp/libseccomp-golang"
	"github.com/spf13/cobra"
)

// Set at build time by the Makefile (-ldflags "-X main.version=... -X
// main.commit=... -X main.buildDate=..."); a plain `go build` leaves these
// defaults, which say so rather than guess.
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

func init() {
	rootCmd.AddCommand(newVersionCmd())
	// --version on the root command prints the same report as `rwarden
	// version`. cobra prints Version through the template; the report is
	// computed when the template runs, not at start-up, because asking R
	// for its version costs a process.
	rootCmd.Version = version
	rootCmd.SetVersionTemplate(`{{with .Root}}{{versionReport}}{{end}}`)
	cobra.AddTemplateFunc("versionReport", func() string { return versionReport(sandbox.DefaultRHome) })
}

func newVersionCmd() *cobra.Command {
	var rHome string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of rwarden and of what it runs on",
		Long: `Prints rwarden's version, the commit it was built from and when, the Go toolchain
that built it, and what this host provides: the R version, the libseccomp
library version rwarden is linked against, and the kernel's Landlock ABI (0: no
Landlock, and rwarden refuses to start workers).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), versionReport(rHome))
			return err
		},
	}
	cmd.Flags().StringVar(&rHome, "r-home", sandbox.DefaultRHome, "R home directory")
	return cmd
}

// versionReport is the text of `rwarden version`, one "name: value" line
// each, so that scripts can pick a line.
func versionReport(rHome string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rwarden %s\n", version)
	fmt.Fprintf(&b, "commit:     %s\n", commit)
	fmt.Fprintf(&b, "built:      %s\n", buildDate)
	fmt.Fprintf(&b, "go:         %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "R:          %s\n", rVersion(rHome))
	fmt.Fprintf(&b, "libseccomp: %s\n", libseccompVersion())
	fmt.Fprintf(&b, "landlock:   %s\n", landlockVersion())
	return b.String()
}

// rVersion is the first line of `R --version` of the R in rHome, or why
// there is none.
func rVersion(rHome string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(rHome, "bin", "R"), "--version").Output()
	if err != nil {
		return fmt.Sprintf("unavailable (%s: %v)", rHome, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return fmt.Sprintf("%s (%s)", strings.TrimSpace(line), rHome)
}

// libseccompVersion is the version of the libseccomp shared library loaded
// at run time, which may differ from the headers rwarden was built with.
func libseccompVersion() string {
	major, minor, micro := seccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

func landlockVersion() string {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil {
		return fmt.Sprintf("ABI 0 (not available: %v)", err)
	}
	return fmt.Sprintf("ABI %d", abi)
}
