package main

// `rwarden user`: manage the users file of argon2id password hashes
// (threat-model layer 2, authentication). The work is done by package auth;
// this file reads passwords safely, parses flags and prints. It never prints
// a password or a hash.
//
// Exit status: 0 success, 1 the operation failed (user exists, no such
// user, file unreadable or unwritable), 2 bad input (invalid name, empty or
// mismatched password, malformed stdin).

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { rootCmd.AddCommand(newUserCmd()) }

func newUserCmd() *cobra.Command {
	var usersFile, storeSpec string
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Add, change, delete and list users in the users file",
		Long: "The users file holds one NAME:PHC line per user (argon2id hashes); comments are kept.\n" +
			"Passwords are read from the terminal (twice, not echoed) or, when stdin is not a\n" +
			"terminal, as exactly one line from stdin. User names match " + auth.UserNamePattern + ".\n" +
			"With --store the users live in the shared store: each change is a new policy version\n" +
			"that every node applies within a second.\n" +
			"Exit status: 0 success, 1 operation failed, 2 bad input.",
	}
	cmd.PersistentFlags().StringVar(&usersFile, "users", "", "the users file (this or --store is required)")
	cmd.PersistentFlags().StringVar(&storeSpec, "store", "", storeFlagHelp)
	cmd.MarkFlagsMutuallyExclusive("users", "store")
	cmd.MarkFlagsOneRequired("users", "store")
	t := &usersTarget{file: &usersFile, store: &storeSpec}
	cmd.AddCommand(
		newUserAddCmd(t),
		newUserPasswdCmd(t),
		newUserDelCmd(t),
		newUserListCmd(t),
	)
	return cmd
}

// usersTarget is where `rwarden user` works: a users file or the store.
type usersTarget struct{ file, store *string }

// name is how messages name the target.
func (t *usersTarget) name() string {
	if *t.store != "" {
		return "the store"
	}
	return *t.file
}

// edit runs op on the users file, or on the store's as a new version.
func (t *usersTarget) edit(cmd *cobra.Command, what string, op func(path string) error) error {
	if *t.store == "" {
		return op(*t.file)
	}
	v, err := storeDocOp(cmd.Context(), *t.store, what, store.UsersFile, op)
	if err == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "stored policy version %d\n", v)
	}
	return err
}

// passwordOp adapts a password operation to edit.
func (t *usersTarget) passwordOp(cmd *cobra.Command, what string,
	op func(path, user string, password []byte, p auth.Params) error) func(string, string, []byte, auth.Params) error {
	return func(_, user string, pw []byte, p auth.Params) error {
		return t.edit(cmd, what+" "+user, func(path string) error { return op(path, user, pw, p) })
	}
}

// argonFlags adds the hashing-cost flags to cmd and returns the parameters
// they fill, starting from auth.DefaultParams.
func argonFlags(cmd *cobra.Command) *auth.Params {
	p := auth.DefaultParams()
	cmd.Flags().Uint32Var(&p.MemoryKiB, "argon-memory", p.MemoryKiB, "argon2id memory per hash, KiB")
	cmd.Flags().Uint32Var(&p.Time, "argon-time", p.Time, "argon2id passes")
	cmd.Flags().Uint8Var(&p.Threads, "argon-threads", p.Threads, "argon2id lanes")
	return &p
}

func newUserAddCmd(t *usersTarget) *cobra.Command {
	var p *auth.Params
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user (creates the users file, mode 0600, if missing)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setPassword(cmd, t.name(), args[0], *p, t.passwordOp(cmd, "user add", auth.AddUser), "added user %s to %s\n")
		},
	}
	p = argonFlags(cmd)
	return cmd
}

func newUserPasswdCmd(t *usersTarget) *cobra.Command {
	var p *auth.Params
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a new password for an existing user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setPassword(cmd, t.name(), args[0], *p, t.passwordOp(cmd, "user passwd", auth.SetPassword), "changed the password of %s in %s\n")
		},
	}
	p = argonFlags(cmd)
	return cmd
}

// setPassword validates the name, reads a password and hands both to op.
func setPassword(cmd *cobra.Command, path, name string, p auth.Params,
	op func(path, user string, password []byte, p auth.Params) error, done string) error {
	if !auth.ValidUserName(name) {
		return withExit(2, fmt.Errorf("invalid user name %q: must match %s", name, auth.UserNamePattern))
	}
	if err := p.Validate(); err != nil {
		return withExit(2, err)
	}
	if d := auth.DefaultParams(); uint64(p.MemoryKiB)*uint64(p.Time) < uint64(d.MemoryKiB)*uint64(d.Time) {
		// OWASP's alternatives trade memory for passes at equal cost, so
		// compare memory x passes rather than each separately.
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: argon2id cost below the OWASP recommendation (m=%d KiB, t=%d)\n", d.MemoryKiB, d.Time)
	}
	pw, err := readNewPassword(cmd, name)
	if err != nil {
		return withExit(2, err)
	}
	defer clear(pw)
	if err := op(path, name, pw, p); err != nil {
		return userOpError(err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), done, name, path)
	return nil
}

func newUserDelCmd(t *usersTarget) *cobra.Command {
	return &cobra.Command{
		Use:   "del NAME",
		Short: "Delete a user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := t.edit(cmd, "user del "+args[0], func(path string) error { return auth.DeleteUser(path, args[0]) }); err != nil {
				return userOpError(err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "deleted user %s from %s\n", args[0], t.name())
			return nil
		},
	}
}

func newUserListCmd(t *usersTarget) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List user names, one per line, sorted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var users []string
			var err error
			if *t.store != "" {
				err = storeDocRead(cmd.Context(), *t.store, store.UsersFile, func(p string) error {
					users, err = auth.ListUsers(p)
					return err
				})
			} else {
				users, err = auth.ListUsers(*t.file)
			}
			if err != nil {
				return userOpError(err)
			}
			for _, u := range users {
				fmt.Fprintln(cmd.OutOrStdout(), u)
			}
			return nil
		},
	}
}

// userOpError maps auth's errors to exit statuses.
func userOpError(err error) error {
	if errors.Is(err, auth.ErrInvalidName) {
		return withExit(2, err)
	}
	return withExit(1, err)
}

// readNewPassword reads a new password: twice without echo from a terminal,
// or exactly one line from non-terminal stdin (scripts, tests). Empty
// passwords are refused.
func readNewPassword(cmd *cobra.Command, name string) ([]byte, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(int(f.Fd()), cmd.ErrOrStderr(), name)
	}
	return readPasswordLine(in)
}

// promptPassword asks twice on the terminal and insists on a match.
func promptPassword(fd int, w io.Writer, name string) ([]byte, error) {
	fmt.Fprintf(w, "New password for %s: ", name)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	if err != nil {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	if len(pw) == 0 {
		return nil, errors.New("empty password refused")
	}
	fmt.Fprintf(w, "Repeat password for %s: ", name)
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	defer clear(again)
	if err != nil {
		clear(pw)
		return nil, fmt.Errorf("reading password: %w", err)
	}
	if subtle.ConstantTimeCompare(pw, again) != 1 {
		clear(pw)
		return nil, errors.New("passwords do not match")
	}
	return pw, nil
}

// readPasswordLine reads stdin, which must hold exactly one line (a final
// newline, LF or CRLF, is optional and not part of the password). Anything
// after that line is an error rather than silently ignored: piping the
// wrong file should not set a password from its first line.
func readPasswordLine(r io.Reader) ([]byte, error) {
	// Room for the longest password, "\r\n" and one byte to detect excess.
	data, err := io.ReadAll(io.LimitReader(r, auth.MaxPasswordLen+3))
	if err != nil {
		return nil, fmt.Errorf("reading password from stdin: %w", err)
	}
	defer clear(data)
	line, rest, _ := bytes.Cut(data, []byte("\n"))
	if len(rest) > 0 {
		return nil, errors.New("stdin must hold exactly one line (the password)")
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, errors.New("empty password refused (give one line on stdin)")
	}
	if len(line) > auth.MaxPasswordLen {
		return nil, fmt.Errorf("password longer than %d bytes", auth.MaxPasswordLen)
	}
	return bytes.Clone(line), nil
}
