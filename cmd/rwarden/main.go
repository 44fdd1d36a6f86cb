// Command rwarden is a security-hardened proxy for R: it authenticates
// clients, checks their R code against per-user Casbin policies, evaluates it
// in a sandboxed R worker and keeps a tamper-evident audit trail.
//
// This file is the entry point. Each subcommand lives in its own file and
// registers itself on rootCmd from an init function, so that subcommands can
// be added without touching a shared list.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/rwarden/rwarden/sandbox"
	"github.com/spf13/cobra"
)

// exitError carries a specific process exit status out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit wraps err so that main exits with code. A nil err still exits
// with code (used for "denied" results that are not program failures).
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

var rootCmd = &cobra.Command{
	Use:           "rwarden",
	Short:         "A security-hardened proxy for R",
	Long:          "rwarden authenticates clients, checks their R code against per-user policies,\nevaluates it in a sandboxed R worker and keeps a tamper-evident audit trail.",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	// The sandbox init runs before cobra and before anything else: it is the
	// re-executed binary that locks itself down and then execs R. It never
	// returns on success.
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitCommand {
		sandbox.InitMain(os.Args[2:])
		os.Exit(sandbox.InitFailedStatus)
	}
	os.Exit(run())
}

func run() int {
	err := rootCmd.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "rwarden:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "rwarden:", err)
	return 1
}
