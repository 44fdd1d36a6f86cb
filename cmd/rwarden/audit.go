package main

// `rwarden audit`: verify, query, follow and summarise the tamper-evident
// audit trail (threat-model layer 6). The work is done by package audit;
// this file only parses flags and prints.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newAuditCmd()) }

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, query, follow and summarise the audit trail",
		Long: "The audit trail is a hash-chained JSON Lines file (plus its rotated predecessors).\n" +
			"Files may be given in any order; they are put in chain order by their content.",
	}
	cmd.AddCommand(newAuditVerifyCmd(), newAuditQueryCmd(), newAuditTailCmd(), newAuditStatsCmd())
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	var opt audit.VerifyOptions
	var spec string
	cmd := &cobra.Command{
		Use:   "verify FILE... | --store DSN-FILE",
		Short: "Check the hash chain; exit 0 when intact, 1 when broken (naming file and line), 2 when unreadable",
		Long: "With --store, each node's chain is checked from the records shipped to the shared store,\n" +
			"and a node whose chain stops without server_stop is named.",
		Args: filesOrStore(&spec),
		RunE: func(cmd *cobra.Command, files []string) error {
			if spec != "" {
				ok, err := verifyStore(cmd.Context(), cmd.OutOrStdout(), spec, opt)
				if err != nil {
					return withExit(2, err)
				}
				if !ok {
					return withExit(1, nil)
				}
				return nil
			}
			rep, err := audit.VerifyWith(files, opt)
			if err != nil {
				return withExit(2, err)
			}
			out := cmd.OutOrStdout()
			if !rep.OK() {
				fmt.Fprintf(out, "BROKEN after %d good records: %s\n", rep.Records, rep.Break)
				return withExit(1, nil)
			}
			fmt.Fprintf(out, "OK: %d records, seq %d..%d in %d file(s); head %s\n",
				rep.Records, rep.FirstSeq, rep.LastSeq, len(rep.Files), rep.LastHash)
			if len(rep.Nodes) > 0 {
				fmt.Fprintf(out, "node(s): %s\n", audit.SanitizeList(rep.Nodes))
			}
			printInterrupted(out, rep.Interrupted)
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.ExpectLast, "expect-last", "", "the hash the chain must end with (the head logged at shutdown)")
	cmd.Flags().StringSliceVar(&opt.Anchors, "anchor", nil, "a hash that must appear in the chain (repeatable)")
	cmd.Flags().BoolVar(&opt.PartialStart, "partial", false, "accept a chain that starts after seq 1 (older files archived)")
	cmd.Flags().StringVar(&spec, "store", "", storeFlagHelp)
	return cmd
}

func newAuditQueryCmd() *cobra.Command {
	var (
		f            audit.Filter
		since, until string
		asJSON       bool
		spec         string
	)
	cmd := &cobra.Command{
		Use:   "query FILE... | --store DSN-FILE",
		Short: "List matching records as a table, or as JSON lines with --json",
		Long: "With --store, the records every node shipped to the shared store are listed, each with\n" +
			"its node (as JSON: {\"node\": ..., \"record\": the record as stored}).",
		Args: filesOrStore(&spec),
		RunE: func(cmd *cobra.Command, files []string) error {
			now := time.Now()
			var err error
			if since != "" {
				if f.Since, err = audit.ParseTime(since, now); err != nil {
					return withExit(2, fmt.Errorf("--since: %w", err))
				}
			}
			if until != "" {
				if f.Until, err = audit.ParseTime(until, now); err != nil {
					return withExit(2, fmt.Errorf("--until: %w", err))
				}
			}
			out := cmd.OutOrStdout()
			if spec != "" {
				skipped, err := queryStore(cmd.Context(), out, spec, f, asJSON)
				if err != nil {
					return withExit(2, err)
				}
				if skipped > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "rwarden: %d shipped line(s) were not readable records; run `rwarden audit verify --store`\n", skipped)
				}
				return nil
			}
			table := audit.NewTable(out)
			skipped, err := audit.QueryEvals(files, f, func(r *audit.Record, interrupted bool) error {
				if asJSON {
					// The record as stored: marking it would forge a line.
					_, err := fmt.Fprintf(out, "%s\n", audit.Encode(r))
					return err
				}
				return table.RowEval(r, interrupted)
			})
			if err != nil {
				return withExit(2, err)
			}
			if skipped > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "rwarden: %d line(s) were not readable records; run `rwarden audit verify`\n", skipped)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.User, "user", "", "only records of this user")
	fl.StringVar(&f.Node, "node", "", "only records written by this node (cluster.node)")
	fl.StringVar(&f.Event, "event", "", "only this event (auth, eval_start, eval, session_start, session_end, policy_reload, server_start, server_stop, access_denied)")
	fl.StringVar(&f.Decision, "decision", "", "only evaluations with this decision (allowed, denied, error, timeout, killed, crashed, interrupted: also evaluations started with no outcome in the trail)")
	fl.StringVar(&since, "since", "", "from this time on: RFC 3339, a date, or a duration ago like 1h")
	fl.StringVar(&until, "until", "", "before this time: RFC 3339, a date, or a duration ago like 10m")
	fl.BoolVar(&asJSON, "json", false, "print JSON lines (the records as stored) instead of a table")
	fl.Int64Var(&f.PolicyVersion, "policy-version", 0, "only records made under this shared-store policy version")
	fl.StringVar(&spec, "store", "", storeFlagHelp)
	return cmd
}

func newAuditTailCmd() *cobra.Command {
	var opt audit.TailOptions
	cmd := &cobra.Command{
		Use:   "tail [-f] FILE",
		Short: "Show the last records; with -f follow new ones live, across rotation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			err := audit.Tail(ctx, args[0], opt, func(r *audit.Record, err error) error {
				return printTailed(out, r, err)
			})
			if err != nil {
				return withExit(2, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&opt.Follow, "follow", "f", false, "keep following the file as records are appended")
	cmd.Flags().IntVarP(&opt.Lines, "lines", "n", 10, "how many existing records to show first")
	return cmd
}

// printTailed prints one followed record; problems are shown inline, marked
// with "!!", because stopping would hide what follows.
func printTailed(w io.Writer, r *audit.Record, err error) error {
	var werr error
	if r != nil {
		_, werr = fmt.Fprintln(w, audit.FormatLine(r))
	}
	if err != nil && werr == nil {
		_, werr = fmt.Fprintf(w, "!! %v\n", err)
	}
	return werr
}

func newAuditStatsCmd() *cobra.Command {
	var (
		top    int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats FILE...",
		Short: "Count records per user and per decision, and list the most denied functions",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			st := audit.NewStats()
			skipped, err := audit.Query(files, audit.Filter{}, func(r *audit.Record) error {
				st.Add(r)
				return nil
			})
			if err != nil {
				return withExit(2, err)
			}
			if skipped > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "rwarden: %d line(s) were not readable records; run `rwarden audit verify`\n", skipped)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					*audit.Stats
					TopDenied []audit.Count `json:"top_denied"`
				}{st, st.TopDenied(top)})
			}
			return st.WriteText(out, top)
		},
	}
	cmd.Flags().IntVar(&top, "top", 10, "how many denied functions to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printInterrupted lists the evaluations whose start is recorded but whose
// outcome is not (the chain is intact; rwarden was killed, or they still run).
func printInterrupted(w io.Writer, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	const show = 20
	list := ""
	for i, s := range seqs {
		if i == show {
			list += fmt.Sprintf(" ... (%d more)", len(seqs)-show)
			break
		}
		list += fmt.Sprintf(" %d", s)
	}
	fmt.Fprintf(w, "%d evaluation(s) interrupted (eval_start with no outcome; still running if rwarden is up): seq%s\n", len(seqs), list)
}

// filesOrStore accepts files, or --store and no files.
func filesOrStore(spec *string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case *spec != "" && len(args) > 0:
			return fmt.Errorf("give audit files or --store, not both")
		case *spec == "" && len(args) == 0:
			return fmt.Errorf("give audit files or --store")
		}
		return nil
	}
}
