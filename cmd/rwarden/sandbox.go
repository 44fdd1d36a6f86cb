package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rwarden/rwarden/internal/units"
	"github.com/rwarden/rwarden/sandbox"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newSandboxCmd()) }

// Exit statuses of `rwarden sandbox run`.
const (
	exitRError   = 1
	exitSyntax   = 2
	exitTimeout  = 3
	exitKilled   = 4
	exitCrashed  = 5
	exitSetupErr = 6
)

func newSandboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run R code in one sandboxed worker, or check the host's protections",
	}
	cmd.AddCommand(newSandboxRunCmd(), newSandboxCheckCmd())
	return cmd
}

type sandboxRunFlags struct {
	code        string
	timeout     time.Duration
	cpu         time.Duration
	memory      string
	output      string
	scratchRoot string
	scratchSize string
	rHome       string
	insecure    bool
	policies    string
	user        string
	cacheDir    string
}

func newSandboxRunCmd() *cobra.Command {
	var f sandboxRunFlags
	cmd := &cobra.Command{
		Use:   "run [-e CODE | FILE | -]",
		Short: "Evaluate R code in one fresh sandboxed worker and print what R's console would",
		Long: `Evaluates R code in one fresh sandboxed worker (Landlock, seccomp, rlimits, and as
root a network namespace and an unprivileged uid) and prints what an R console would print.

With --policies and --user the code runs with that user's runtime allowlist and no static
check, so the runtime layer can be tested on its own.

Exit status: 0 success, 1 R error, 2 syntax error, 3 wall-clock timeout, 4 killed by a
resource limit, 5 worker crash, 6 the sandbox could not be set up.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSandbox(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.code, "eval", "e", "", "R code to evaluate")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "wall-clock limit of the evaluation")
	fl.DurationVar(&f.cpu, "cpu", 30*time.Second, "CPU time limit of the evaluation")
	fl.StringVar(&f.memory, "memory", "2GiB", "address-space limit of the worker")
	fl.StringVar(&f.output, "output", "16MiB", "console output kept; the rest is cut")
	fl.StringVar(&f.scratchRoot, "scratch-root", "", "directory for the worker's scratch directory (default: a new one under the system temp dir)")
	fl.StringVar(&f.scratchSize, "scratch-size", "256MiB", "scratch disk quota")
	fl.StringVar(&f.rHome, "r-home", sandbox.DefaultRHome, "R home directory")
	fl.BoolVar(&f.insecure, "insecure-no-sandbox", false, "DEVELOPMENT ONLY: run R without Landlock, seccomp, namespaces or uid drop")
	fl.StringVar(&f.policies, "policies", "", "policies directory: run with --user's runtime allowlist")
	fl.StringVar(&f.user, "user", "", "user whose runtime allowlist applies (with --policies)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "cache for the R exports index (with --policies)")
	return cmd
}

// readCode takes code from -e, a file, or standard input ("-" or nothing).
func readCode(code string, codeSet bool, args []string, stdin io.Reader) (string, error) {
	if codeSet {
		if len(args) > 0 {
			return "", errors.New("give either -e CODE or a file, not both")
		}
		return code, nil
	}
	if len(args) == 0 || args[0] == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 64<<20))
		return string(b), err
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return "", fmt.Errorf("reading code: %w", err)
	}
	return string(b), nil
}

func runSandbox(cmd *cobra.Command, f sandboxRunFlags, args []string) error {
	code, err := readCode(f.code, cmd.Flags().Changed("eval"), args, cmd.InOrStdin())
	if err != nil {
		return withExit(exitSetupErr, err)
	}
	mem, err := units.ParseBytes(f.memory)
	if err != nil {
		return withExit(exitSetupErr, fmt.Errorf("--memory: %w", err))
	}
	out, err := units.ParseBytes(f.output)
	if err != nil {
		return withExit(exitSetupErr, fmt.Errorf("--output: %w", err))
	}
	scratch, err := units.ParseBytes(f.scratchSize)
	if err != nil {
		return withExit(exitSetupErr, fmt.Errorf("--scratch-size: %w", err))
	}
	limits := sandbox.Limits{Wall: f.timeout, CPU: f.cpu, Memory: mem, Output: out,
		SessionWall: f.timeout + time.Minute, SessionCPU: f.cpu}
	if err := limits.Validate(); err != nil {
		return withExit(exitSetupErr, err)
	}

	var allow *sandbox.Allowlist
	if f.policies != "" || f.user != "" {
		if f.policies == "" || f.user == "" {
			return withExit(exitSetupErr, errors.New("--policies and --user go together"))
		}
		allow, err = loadAllowlist(cmd.Context(), f.policies, f.user, f.cacheDir, f.rHome)
		if err != nil {
			return withExit(exitSetupErr, err)
		}
	}

	root := f.scratchRoot
	if root == "" {
		tmp, err := os.MkdirTemp("", "rwarden-sandbox-")
		if err != nil {
			return withExit(exitSetupErr, err)
		}
		defer os.RemoveAll(tmp)
		root = tmp
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, err := sandbox.NewPool(sandbox.Config{
		RHome: f.rHome, ScratchRoot: root, ScratchBytes: scratch,
		MaxLimits: limits, Warm: 0, Max: 1, Insecure: f.insecure, Logger: logger,
	})
	if err != nil {
		return withExit(exitSetupErr, err)
	}
	defer pool.Close()

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sess, err := pool.Acquire(ctx, sandbox.Binding{User: f.user, Limits: limits, Allowlist: allow})
	if err != nil {
		return withExit(exitSetupErr, err)
	}
	defer sess.Close()
	stdout := cmd.OutOrStdout()
	res, err := sess.Eval(ctx, code, sandbox.EvalOptions{}, func(b []byte) { _, _ = stdout.Write(b) })
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return withExit(exitKilled, errors.New("interrupted"))
		}
		return withExit(exitCrashed, err)
	}
	if res.Truncated {
		fmt.Fprintf(cmd.ErrOrStderr(), "\n[output cut at %d of %d bytes]\n", len(res.Output), res.OutputBytes)
	}
	if res.Error != "" {
		fmt.Fprint(cmd.ErrOrStderr(), res.Error)
	}
	reason := strings.TrimSpace(strings.TrimPrefix(firstLine(res.Error), "Error: "))
	switch res.Status {
	case sandbox.StatusOK:
		return nil
	case sandbox.StatusError:
		return withExit(exitRError, errors.New("the code raised an R error"))
	case sandbox.StatusSyntaxError:
		return withExit(exitSyntax, errors.New("syntax error"))
	case sandbox.StatusTimeout:
		return withExit(exitTimeout, errors.New("timeout: "+reason))
	case sandbox.StatusKilled:
		return withExit(exitKilled, errors.New("killed: "+reason))
	default:
		return withExit(exitCrashed, errors.New("crashed: "+reason))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func newSandboxCheckCmd() *cobra.Command {
	var rHome string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Report which sandbox protections are active on this host",
		Long: `Reports Landlock, seccomp (W^X, IPC and watch denial), namespaces, the minimal filesystem
view, uid drop, R, and whether R's shared objects load under W^X; exits non-zero if a required
protection is missing. Protections marked [root] need rwarden to run as root; without root the
line says what holds instead, and what does not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := sandbox.Probe(rHome)
			rep.Protections = append(rep.Protections, sandbox.ProbeSharedObjects(rHome))
			w := cmd.OutOrStdout()
			for _, p := range rep.Protections {
				state := "active"
				if !p.Active {
					state = "MISSING"
					if !p.Required {
						state = "inactive"
					}
				}
				req := ""
				if p.Required {
					req = " (required)"
				}
				if p.RootOnly {
					req += " [root]"
				}
				fmt.Fprintf(w, "%-9s %s%s", state, p.Name, req)
				if p.Detail != "" {
					fmt.Fprintf(w, ": %s", p.Detail)
				}
				fmt.Fprintln(w)
			}
			if err := rep.Required(); err != nil {
				return withExit(1, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rHome, "r-home", sandbox.DefaultRHome, "R home directory")
	return cmd
}
