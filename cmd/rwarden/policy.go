package main

// rwarden policy check|explain: the static policy layer from the command
// line, for operators writing policies and for scripts that gate code.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/spf13/cobra"
)

// Exit statuses of `rwarden policy check` (explain uses the first two).
const (
	policyExitAllowed = 0
	policyExitDenied  = 1
	policyExitSyntax  = 2
	policyExitError   = 3 // the check could not be made: bad flags, policy or user
)

// maxPolicyCheckInput bounds what check reads; the parser refuses more
// anyway, this keeps a huge file out of memory.
const maxPolicyCheckInput = 16 << 20

func init() { rootCmd.AddCommand(newPolicyCmd()) }

type policyFlags struct {
	dir, user, cacheDir, rHome string
	json                       bool
}

func (f *policyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "policies", "", "policy directory (model.conf, roles/, users/)")
	fl.StringVar(&f.user, "user", "", "user whose policy applies")
	fl.StringVar(&f.cacheDir, "cache-dir", defaultPolicyCacheDir(), "cache for the R exports index")
	fl.StringVar(&f.rHome, "r-home", policy.DefaultRHome, "R home directory whose exports resolve names")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	_ = cmd.MarkFlagRequired("policies")
	_ = cmd.MarkFlagRequired("user")
}

// defaultPolicyCacheDir is $XDG_CACHE_HOME/rwarden, else ~/.cache/rwarden;
// empty (no cache) when neither can be found.
func defaultPolicyCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "rwarden")
}

func (f *policyFlags) open(cmd *cobra.Command) (*policy.Engine, error) {
	e, err := policy.Open(cmd.Context(), policy.Config{Dir: f.dir, CacheDir: f.cacheDir, RHome: f.rHome})
	if err != nil {
		return nil, withExit(policyExitError, err)
	}
	if !e.HasUser(f.user) {
		return nil, withExit(policyExitError, fmt.Errorf("user %q: %w (no %s)", f.user, policy.ErrUnknownUser, filepath.Join(f.dir, "users", f.user+".csv")))
	}
	return e, nil
}

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check R code against a user's policy, or explain a decision",
	}
	cmd.AddCommand(newPolicyCheckCmd(), newPolicyExplainCmd(), newPolicyPushCmd())
	return cmd
}

func newPolicyCheckCmd() *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "check --policies DIR --user NAME [--json] [FILE | -]",
		Short: "Statically check R code against a user's policy",
		Long: `Parses R code (a file, or standard input for "-" or no argument), finds every
reference to a function and checks each against the user's policy.

Denied code prints one line per violation: LINE:COL pkg::name (act): reason,
where reason is the deciding rule or "no rule matched". A syntax error prints
LINE:COL: message.

Exit status: 0 allowed, 1 denied, 2 syntax error (or code too large or deep to
analyse), 3 the check could not be made (policy, user or input problem).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyCheck(cmd, &f, args) },
	}
	f.register(cmd)
	return cmd
}

// policyCheckJSON is check's --json output.
type policyCheckJSON struct {
	User        string                `json:"user"`
	Allowed     bool                  `json:"allowed"`
	Violations  []policyViolationJSON `json:"violations"`
	SyntaxError *policySyntaxJSON     `json:"syntax_error,omitempty"`
}

type policyViolationJSON struct {
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Object   string `json:"object"`
	Act      string `json:"act"`
	Reason   string `json:"reason"`
	RuleFile string `json:"rule_file,omitempty"`
	RuleLine int    `json:"rule_line,omitempty"`
	// Detail says, for dynamic:call, why and how to write it instead.
	Detail string `json:"detail,omitempty"`
}

type policySyntaxJSON struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

func readPolicyCheckInput(args []string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	name := "standard input"
	if len(args) == 1 && args[0] != "-" {
		fh, err := os.Open(args[0])
		if err != nil {
			return nil, fmt.Errorf("reading code: %w", err)
		}
		defer fh.Close()
		r, name = fh, args[0]
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPolicyCheckInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading code from %s: %w", name, err)
	}
	if len(b) > maxPolicyCheckInput {
		return nil, fmt.Errorf("reading code from %s: more than %d bytes", name, maxPolicyCheckInput)
	}
	return b, nil
}

func runPolicyCheck(cmd *cobra.Command, f *policyFlags, args []string) error {
	code, err := readPolicyCheckInput(args, cmd.InOrStdin())
	if err != nil {
		return withExit(policyExitError, err)
	}
	e, err := f.open(cmd)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	res := policyCheckJSON{User: f.user, Violations: []policyViolationJSON{}}
	d, err := e.Check(f.user, code)
	if err != nil {
		var se *rsyntax.SyntaxError
		var le *rsyntax.LimitError
		switch {
		case errors.As(err, &se):
			res.SyntaxError = &policySyntaxJSON{Line: int(se.Pos.Line), Col: int(se.Pos.Col), Message: se.Msg}
		case errors.As(err, &le):
			res.SyntaxError = &policySyntaxJSON{Line: int(le.Pos.Line), Col: int(le.Pos.Col), Message: le.Msg}
		default:
			return withExit(policyExitError, err)
		}
		if f.json {
			return writePolicyJSON(out, res, policyExitSyntax)
		}
		fmt.Fprintf(out, "%d:%d: %s\n", res.SyntaxError.Line, res.SyntaxError.Col, res.SyntaxError.Message)
		return withExit(policyExitSyntax, nil)
	}
	res.Allowed = d.Allowed
	for _, v := range d.Violations {
		res.Violations = append(res.Violations, policyViolationJSON{
			Line: v.Line, Col: v.Col, Object: v.Object, Act: v.Act, Reason: v.Reason,
			RuleFile: v.Source.File, RuleLine: v.Source.Line, Detail: v.Detail,
		})
	}
	status := policyExitAllowed
	if !d.Allowed {
		status = policyExitDenied
	}
	if f.json {
		return writePolicyJSON(out, res, status)
	}
	for _, v := range d.Violations {
		fmt.Fprintln(out, v.String())
	}
	if status != policyExitAllowed {
		return withExit(status, nil)
	}
	return nil
}

func writePolicyJSON(w io.Writer, v any, status int) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return withExit(policyExitError, fmt.Errorf("writing JSON: %w", err))
	}
	if status != 0 {
		return withExit(status, nil)
	}
	return nil
}

func newPolicyExplainCmd() *cobra.Command {
	var f policyFlags
	var act string
	cmd := &cobra.Command{
		Use:   "explain --policies DIR --user NAME [--act call|load] OBJECT",
		Short: "Show the roles and rules that decide one request",
		Long: `Shows whether the user may use OBJECT and the roles and rules that decide it.
OBJECT is pkg::name (base::system, stats::lm), pkg:PKG (loading a package),
internal:PKG (pkg:::name access) or dynamic:call (computed function references).
A bare name (system) is resolved in R's default search order. The act is load
for pkg:PKG and call otherwise unless --act says so.

Exit status: 0 allowed, 1 denied, 3 the explanation could not be made.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyExplain(cmd, &f, act, args[0]) },
	}
	f.register(cmd)
	cmd.Flags().StringVar(&act, "act", "", "act of the request (call or load; default from OBJECT)")
	return cmd
}

// policyExplainJSON is explain's --json output.
type policyExplainJSON struct {
	User     string           `json:"user"`
	Object   string           `json:"object"`
	Act      string           `json:"act"`
	Allowed  bool             `json:"allowed"`
	Reason   string           `json:"reason"`
	RuleFile string           `json:"rule_file,omitempty"`
	RuleLine int              `json:"rule_line,omitempty"`
	Roles    []string         `json:"roles"`
	Rules    []policyRuleJSON `json:"rules"`
}

type policyRuleJSON struct {
	Rule    string `json:"rule"`
	Subject string `json:"subject"`
	Effect  string `json:"effect"`
	File    string `json:"file"`
	Line    int    `json:"line"`
}

func runPolicyExplain(cmd *cobra.Command, f *policyFlags, act, object string) error {
	e, err := f.open(cmd)
	if err != nil {
		return err
	}
	if !strings.Contains(object, ":") {
		resolved, ok := e.Index().Resolve(object)
		if !ok {
			return withExit(policyExitError, fmt.Errorf("%q is in no package of R's default search path; write it as pkg::name", object))
		}
		object = resolved
	}
	if act == "" {
		act = policy.ActFor(object)
	}
	ex, err := e.Explain(f.user, object, act)
	if err != nil {
		return withExit(policyExitError, err)
	}
	status := policyExitAllowed
	if !ex.Allowed {
		status = policyExitDenied
	}
	out := cmd.OutOrStdout()
	if f.json {
		res := policyExplainJSON{
			User: ex.User, Object: ex.Object, Act: ex.Act, Allowed: ex.Allowed, Reason: ex.Reason,
			RuleFile: ex.Source.File, RuleLine: ex.Source.Line, Roles: ex.Roles, Rules: []policyRuleJSON{},
		}
		if res.Roles == nil {
			res.Roles = []string{}
		}
		for _, r := range ex.Rules {
			res.Rules = append(res.Rules, policyRuleJSON{Rule: r.Rule, Subject: r.Subject, Effect: r.Effect, File: r.Source.File, Line: r.Source.Line})
		}
		return writePolicyJSON(out, res, status)
	}
	verdict := "denied"
	if ex.Allowed {
		verdict = "allowed"
	}
	fmt.Fprintf(out, "%s %s (%s): %s\n", ex.User, ex.Object, ex.Act, verdict)
	fmt.Fprintf(out, "  decided by: %s%s\n", ex.Reason, policySourceSuffix(ex.Source))
	roles := "(none)"
	if len(ex.Roles) > 0 {
		roles = strings.Join(ex.Roles, ", ")
	}
	fmt.Fprintf(out, "  roles: %s\n", roles)
	if len(ex.Rules) == 0 {
		fmt.Fprintln(out, "  matching rules: none (default deny)")
	} else {
		fmt.Fprintln(out, "  matching rules (deny overrides allow):")
		for _, r := range ex.Rules {
			fmt.Fprintf(out, "    %-5s %s  [via %s]%s\n", r.Effect, r.Rule, r.Subject, policySourceSuffix(r.Source))
		}
	}
	if status != policyExitAllowed {
		return withExit(status, nil)
	}
	return nil
}

func policySourceSuffix(s policy.Source) string {
	if s.File == "" {
		return ""
	}
	return fmt.Sprintf("  (%s:%d)", s.File, s.Line)
}
