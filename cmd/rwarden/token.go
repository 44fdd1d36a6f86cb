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
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newTokenCmd()) }

func newTokenCmd() *cobra.Command {
	var usersFile string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (HTTP Authorization: Bearer)",
		Long: "API tokens are kept hashed in " + auth.TokensFileName + " in the users file's directory.\n" +
			"A token is printed once, when it is created. A running server sees changes on the\n" +
			"next request and audits them. Exit status: 0 success, 1 operation failed, 2 bad input.",
	}
	cmd.PersistentFlags().StringVar(&usersFile, "users", "", "the users file; the tokens file is next to it (required)")
	_ = cmd.MarkPersistentFlagRequired("users")
	cmd.AddCommand(newTokenCreateCmd(&usersFile), newTokenListCmd(&usersFile), newTokenRevokeCmd(&usersFile))
	return cmd
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

func newTokenCreateCmd(usersFile *string) *cobra.Command {
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
			path := auth.TokensFileFor(*usersFile)
			tok, info, err := auth.CreateToken(path, user, ttl, time.Now())
			if err != nil {
				return withExit(1, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			fmt.Fprintf(cmd.ErrOrStderr(), "created token %s for %s in %s, expires %s; it is shown only now\n",
				info.ID, info.User, path, info.Expires.Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user the token authenticates as (required)")
	cmd.Flags().StringVar(&expires, "expires", "30d", "lifetime: Nd, or a duration such as 12h")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func newTokenListCmd(usersFile *string) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list [--user NAME]",
		Short: "List tokens: ID USER CREATED EXPIRES STATE (valid, expired, revoked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, err := auth.ListTokens(auth.TokensFileFor(*usersFile))
			if err != nil {
				return withExit(1, err)
			}
			now := time.Now()
			for _, t := range ts {
				if user != "" && t.User != user {
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s %s %s\n", t.ID, t.User,
					t.Created.Format(time.RFC3339), t.Expires.Format(time.RFC3339), t.State(now))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "only this user's tokens")
	return cmd
}

func newTokenRevokeCmd(usersFile *string) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by its id (from create or list); takes effect on the next request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := auth.RevokeToken(auth.TokensFileFor(*usersFile), args[0], time.Now())
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
