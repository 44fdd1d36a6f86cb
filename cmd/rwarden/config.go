package main

import (
	"fmt"

	"github.com/rwarden/rwarden/proxy"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newConfigCmd()) }

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with rwarden's configuration"}
	var configFile, stateDir, cacheDir string
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the whole configuration without serving",
		Long: `Validates what rwarden serve would run on, without serving: the file itself
(keys, types, values, listeners), the listeners' certificates and keys (readable,
matching, not expired or expiring within 30 days), the client CA bundles, the users
file (it must exist), the policies (they must load), the R installation, and that
every role and user named under limits exists in the policy.

Every problem is listed, one per line with file and line; the exit status is 0 when
there is none, 1 otherwise. Without --config it checks the embedded defaults in the
state directory (what their first run creates may be missing).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg *config.Config
			embedded := configFile == ""
			if embedded {
				if stateDir == "" {
					stateDir = defaultStateDir()
				}
				cfg = setup.DefaultConfig(stateDir)
			} else {
				var err error
				if cfg, err = proxy.LoadConfig(configFile); err != nil {
					return withExit(1, err)
				}
			}
			if err := core.CheckAll(cmd.Context(), cfg, core.CheckOptions{CacheDir: cacheDir, Embedded: embedded}); err != nil {
				return withExit(1, err)
			}
			name := cfg.File
			if embedded {
				name = "embedded defaults in " + cfg.StateDir
			}
			fmt.Fprintf(cmd.OutOrStdout(), "configuration OK: %s\n", name)
			return nil
		},
	}
	check.Flags().StringVar(&configFile, "config", "", "configuration file (YAML); default: the embedded defaults")
	check.Flags().StringVar(&stateDir, "state-dir", "", "state directory of the embedded defaults")
	check.Flags().StringVar(&cacheDir, "cache-dir", "", "cache for the R exports index (default: state_dir/cache)")
	cmd.AddCommand(check)
	return cmd
}
