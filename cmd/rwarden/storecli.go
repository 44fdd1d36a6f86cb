package main

// The shared store's side of the CLI (docs/scaling.md): `rwarden store
// init`, and the --store flag of `rwarden user`, `rwarden policy push` and
// `rwarden audit query|verify`. A change through --store makes a new
// policy version that every node applies within a second; a store that
// cannot be reached refuses the change and nothing is changed.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/store"
	"github.com/spf13/cobra"
)

const storeFlagHelp = "the shared store: a file holding the PostgreSQL DSN, or env:NAME for an environment variable"

func init() { rootCmd.AddCommand(newStoreCmd()) }

func newStoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Set up the shared PostgreSQL store of users, tokens and policies",
	}
	cmd.AddCommand(newStoreInitCmd())
	return cmd
}

func newStoreInitCmd() *cobra.Command {
	var spec, policies, users, cacheDir, rHome string
	cmd := &cobra.Command{
		Use:   "init --store DSN-FILE --policies DIR [--users FILE]",
		Short: "Create or migrate the store's tables and make policy version 1 from a policy directory and a users file (and the tokens file beside it)",
		Long: "Safe to run again: the schema is migrated, and version 1 is made only when the store\n" +
			"holds no version yet. The policy is loaded and checked as a node would before it is stored.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := store.ReadDSN(spec)
			if err != nil {
				return withExit(2, err)
			}
			b := store.Bundle{}
			if err := checkedPolicies(cmd.Context(), b, policies, cacheDir, rHome); err != nil {
				return withExit(1, err)
			}
			if users != "" {
				for name, path := range map[string]string{store.UsersFile: users, store.TokensFile: auth.TokensFileFor(users)} {
					data, err := os.ReadFile(path)
					if errors.Is(err, os.ErrNotExist) && name == store.TokensFile {
						continue
					}
					if err != nil {
						return withExit(1, err)
					}
					b[name] = string(data)
				}
				if _, err := auth.ListUsers(users); err != nil {
					return withExit(1, err)
				}
			}
			v, err := store.Init(cmd.Context(), dsn, b, cliAuthor())
			if err != nil {
				return withExit(1, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "store ready at policy version %d\n", v)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&spec, "store", "", storeFlagHelp)
	fl.StringVar(&policies, "policies", "", "policy directory (model.conf, roles/, users/)")
	fl.StringVar(&users, "users", "", "users file to import (its tokens.txt is imported too)")
	fl.StringVar(&cacheDir, "cache-dir", defaultPolicyCacheDir(), "cache for the R exports index")
	fl.StringVar(&rHome, "r-home", policy.DefaultRHome, "R home directory whose exports resolve names")
	_ = cmd.MarkFlagRequired("store")
	_ = cmd.MarkFlagRequired("policies")
	return cmd
}

// checkedPolicies loads dir as a node would (failing on any error a node
// would reject) and puts its files into b.
func checkedPolicies(ctx context.Context, b store.Bundle, dir, cacheDir, rHome string) error {
	if _, err := policy.Open(ctx, policy.Config{Dir: dir, CacheDir: cacheDir, RHome: rHome}); err != nil {
		return err
	}
	return b.SetPolicies(dir)
}

// cliAuthor names who made a change: the local user.
func cliAuthor() string {
	if u, err := user.Current(); err == nil {
		return u.Username + " (rwarden CLI)"
	}
	return fmt.Sprintf("uid %d (rwarden CLI)", os.Getuid())
}

func newPolicyPushCmd() *cobra.Command {
	var spec, dir, cacheDir, rHome string
	cmd := &cobra.Command{
		Use:   "push --store DSN-FILE --policies DIR",
		Short: "Check a policy directory and store it as the next policy version; every node applies it within a second",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := store.ReadDSN(spec)
			if err != nil {
				return withExit(2, err)
			}
			next := store.Bundle{}
			if err := checkedPolicies(cmd.Context(), next, dir, cacheDir, rHome); err != nil {
				return withExit(policyExitError, err)
			}
			v, err := store.Change(cmd.Context(), dsn, cliAuthor(), "policy push "+filepath.Base(dir), func(cur store.Bundle) (store.Bundle, error) {
				for n := range cur {
					if n != store.UsersFile && n != store.TokensFile {
						delete(cur, n)
					}
				}
				for n, text := range next {
					cur[n] = text
				}
				return cur, nil
			})
			if err != nil {
				return withExit(1, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "stored policy version %d\n", v)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&spec, "store", "", storeFlagHelp)
	fl.StringVar(&dir, "policies", "", "policy directory (model.conf, roles/, users/)")
	fl.StringVar(&cacheDir, "cache-dir", defaultPolicyCacheDir(), "cache for the R exports index")
	fl.StringVar(&rHome, "r-home", policy.DefaultRHome, "R home directory whose exports resolve names")
	_ = cmd.MarkFlagRequired("store")
	_ = cmd.MarkFlagRequired("policies")
	return cmd
}

// storeDocOp runs op (one of auth's edits of the users or tokens file) on
// the store's document doc as a new policy version: the latest document is
// written to a private temporary file, edited by the same code that edits
// a local one, and stored back under the store's lock.
func storeDocOp(ctx context.Context, spec, what, doc string, op func(path string) error) (int64, error) {
	dsn, err := store.ReadDSN(spec)
	if err != nil {
		return 0, withExit(2, err)
	}
	tmp, err := os.MkdirTemp("", "rwarden-store-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, doc)
	return store.Change(ctx, dsn, cliAuthor(), what, func(cur store.Bundle) (store.Bundle, error) {
		if err := os.WriteFile(path, []byte(cur[doc]), 0o600); err != nil {
			return nil, err
		}
		if err := op(path); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		cur[doc] = string(data)
		return cur, nil
	})
}

// storeDocRead runs read on a private copy of the newest version's doc.
func storeDocRead(ctx context.Context, spec, doc string, read func(path string) error) error {
	dsn, err := store.ReadDSN(spec)
	if err != nil {
		return withExit(2, err)
	}
	_, b, err := store.Latest(ctx, dsn)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "rwarden-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, doc)
	if err := os.WriteFile(path, []byte(b[doc]), 0o600); err != nil {
		return err
	}
	return read(path)
}
