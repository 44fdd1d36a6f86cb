package main

// `rwarden token`: manage API tokens for `Authorization: Bearer` on HTTP
// listeners. The tokens file (tokens.txt next to the users file) keeps each
// token's SHA-256, never the token: `create` prints the token once, on
// stdout, and it cannot be shown again. The running server notices every
// change of the file on the next request and records it in its audit
// trail (event tokens_reload); this command cannot write to the server's
// hash-chained trail itself.
//
// Exit status: 0 success, 1 the operation failed, 2 bad input.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/store"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newTokenCmd()) }

func newTokenCmd() *cobra.Command {
	var usersFile, storeSpec string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (HTTP Authorization: Bearer)",
		Long: "API tokens are kept hashed in " + auth.TokensFileName + " in the users file's directory.\n" +
			"A token is printed once, when it is created. A running server sees changes on the\n" +
			"next request and audits them. Exit status: 0 success, 1 operation failed, 2 bad input.",
	}
	cmd.PersistentFlags().StringVar(&usersFile, "users", "", "the users file; the tokens file is next to it (this or --store is required)")
	cmd.PersistentFlags().StringVar(&storeSpec, "store", "", storeFlagHelp)
	cmd.MarkFlagsMutuallyExclusive("users", "store")
	cmd.MarkFlagsOneRequired("users", "store")
	t := &tokensTarget{users: &usersFile, store: &storeSpec}
	cmd.AddCommand(newTokenCreateCmd(t), newTokenListCmd(t), newTokenRevokeCmd(t))
	return cmd
}

// tokensTarget is where `rwarden token` works: the tokens file next to a
// users file, or the shared store's (each change a new policy version).
type tokensTarget struct{ users, store *string }

func (t *tokensTarget) name() string {
	if *t.store != "" {
		return "the store"
	}
	return auth.TokensFileFor(*t.users)
}

func (t *tokensTarget) edit(cmd *cobra.Command, what string, op func(path string) error) error {
	if *t.store == "" {
		return op(auth.TokensFileFor(*t.users))
	}
	v, err := storeDocOp(cmd.Context(), *t.store, what, store.TokensFile, op)
	if err == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "stored policy version %d\n", v)
	}
	return err
}

func (t *tokensTarget) read(cmd *cobra.Command, read func(path string) error) error {
	if *t.store == "" {
		return read(auth.TokensFileFor(*t.users))
	}
	return storeDocRead(cmd.Context(), *t.store, store.TokensFile, read)
}

// parseLifetime reads "30d", "12h", "90m" or any Go duration.
func parseLifetime(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > int(auth.MaxTokenLifetime/(24*time.Hour)) {
			return 0, fmt.Errorf("invalid --expires %q: want 1d to %dd", s, int(auth.MaxTokenLifetime/(24*time.Hour)))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > auth.MaxTokenLifetime {
		return 0, fmt.Errorf("invalid --expires %q: want a duration such as 30d or 12h, at most %dd", s, int(auth.MaxTokenLifetime/(24*time.Hour)))
	}
	return d, nil
}

func newTokenCreateCmd(t *tokensTarget) *cobra.Command {
	var user, expires string
	cmd := &cobra.Command{
		Use:   "create --user NAME [--expires 30d]",
		Short: "Create a token for a user and print it (the only time it is shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !auth.ValidUserName(user) {
				return withExit(2, fmt.Errorf("invalid user name %q: must match %s", user, auth.UserNamePattern))
			}
			ttl, err := parseLifetime(expires)
			if err != nil {
				return withExit(2, err)
			}
			var tok string
			var info auth.TokenInfo
			err = t.edit(cmd, "token create for "+user, func(path string) error {
				tok, info, err = auth.CreateToken(path, user, ttl, time.Now())
				return err
			})
			if err != nil {
				return withExit(1, err)
			}
			// Printed only once stored: a token that did not make it is never shown.
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			fmt.Fprintf(cmd.ErrOrStderr(), "created token %s for %s in %s, expires %s; it is shown only now\n",
				info.ID, info.User, t.name(), info.Expires.Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user the token authenticates as (required)")
	cmd.Flags().StringVar(&expires, "expires", "30d", "lifetime: Nd, or a duration such as 12h")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func newTokenListCmd(t *tokensTarget) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list [--user NAME]",
		Short: "List tokens: ID USER CREATED EXPIRES STATE (valid, expired, revoked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ts []auth.TokenInfo
			err := t.read(cmd, func(path string) (err error) {
				ts, err = auth.ListTokens(path)
				return err
			})
			if err != nil {
				return withExit(1, err)
			}
			now := time.Now()
			for _, tk := range ts {
				if user != "" && tk.User != user {
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s %s %s\n", tk.ID, tk.User,
					tk.Created.Format(time.RFC3339), tk.Expires.Format(time.RFC3339), tk.State(now))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "only this user's tokens")
	return cmd
}

func newTokenRevokeCmd(t *tokensTarget) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by its id (from create or list); takes effect on the next request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var info auth.TokenInfo
			err := t.edit(cmd, "token revoke "+args[0], func(path string) (err error) {
				info, err = auth.RevokeToken(path, args[0], time.Now())
				return err
			})
			if errors.Is(err, auth.ErrUnknownTokenID) {
				return withExit(1, fmt.Errorf("revoking %q: %w", args[0], err))
			}
			if err != nil {
				return withExit(1, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "revoked token %s of %s\n", info.ID, info.User)
			return nil
		},
	}
}
