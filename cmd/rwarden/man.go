package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { rootCmd.AddCommand(newManCmd()) }

// newManCmd generates the man pages from the commands themselves, so that
// they never disagree with --help. Hidden: packagers use it (make man, make
// deb), users read the pages.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write man pages for every command into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			root := cmd.Root()
			// Dated by the build (the commit's date), not by the clock, so
			// that builds of one commit make the same pages.
			root.DisableAutoGenTag = true
			hdr := &doc.GenManHeader{Title: "RWARDEN", Section: "1", Source: "rwarden " + version, Manual: "rwarden manual"}
			if d, err := time.Parse(time.RFC3339, buildDate); err == nil {
				hdr.Date = &d
			}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("man pages in %s: %w", dir, err)
			}
			pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d man pages to %s\n", len(pages), dir)
			return nil
		},
	}
}
