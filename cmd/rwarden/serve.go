package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policies"
	"github.com/rwarden/rwarden/proxy"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newServeCmd()) }

func newServeCmd() *cobra.Command {
	var configFile, stateDir, logLevel, logFormat string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the rwarden server",
		Long: `Runs rwarden: listeners, authentication, policy checks, sandboxed R workers and the
audit trail.

With --config FILE it runs on that configuration (see docs/rwarden.example.yaml). Without
it, it runs on safe embedded defaults: TLS on 127.0.0.1:9443 (framed protocol) and
127.0.0.1:9444 (HTTP API, docs/http.md) with a development CA and
certificate generated in the state directory, the shipped policies, an audit file, and a
demo user whose password is printed once.

SIGTERM or SIGINT stop it gracefully (running evaluations may finish within
shutdown_grace); SIGHUP reloads certificates, users and policies.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cmd.ErrOrStderr(), configFile, stateDir, logLevel, logFormat)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "configuration file (YAML)")
	cmd.Flags().StringVar(&stateDir, "state-dir", "", "state directory for the embedded defaults (default: /var/lib/rwarden as root, else ~/.local/state/rwarden)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "text (key=value) or json (one JSON object per line)")
	return cmd
}

func defaultStateDir() string {
	if os.Geteuid() == 0 {
		return config.DefaultStateDir
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "rwarden")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".rwarden"
	}
	return filepath.Join(home, ".local", "state", "rwarden")
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither text nor json", format)
}

func runServe(ctx context.Context, stderr io.Writer, configFile, stateDir, logLevel, logFormat string) error {
	log, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		return err
	}
	var cfg *config.Config
	var banner func()
	switch {
	case configFile != "" && stateDir != "":
		return fmt.Errorf("--state-dir is for the embedded defaults; set state_dir in %s instead", configFile)
	case configFile != "":
		if cfg, err = proxy.LoadConfig(configFile); err != nil {
			return err
		}
	default:
		if stateDir == "" {
			stateDir = defaultStateDir()
		}
		st, err := setup.PrepareDefaultState(stateDir, policies.FS, auth.DefaultParams())
		if err != nil {
			return err
		}
		cfg = st.Config
		banner = func() { printBanner(stderr, st, selfCommand(), exeDir()) }
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := proxy.New(ctx, cfg, proxy.Options{Logger: log, Build: buildInfo()})
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := srv.Reload(); err != nil {
				log.Error("reload: some files were rejected; what was in force stays", "err", err)
			} else {
				log.Info("reloaded certificates, users and policies")
			}
		}
	}()
	defer notifySystemd(ctx, srv, log)()
	if banner != nil {
		banner()
	}
	return srv.Serve(ctx)
}

// buildInfo names this build for /metrics; a commit the Makefile did not
// set is left to the core, which reads the VCS revision Go embedded.
func buildInfo() core.BuildInfo {
	b := core.BuildInfo{Version: version, Commit: commit}
	if b.Commit == "unknown" {
		b.Commit = ""
	}
	return b
}
