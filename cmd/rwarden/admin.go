package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newAdminCmd()) }

// adminFlags say where the admin API is and which certificate to use.
type adminFlags struct {
	address, cert, key, ca string
	token                  string // an API token of an admin user, instead of a certificate
	json                   bool
	timeout                time.Duration
}

// maxAdminAnswer bounds what the client reads from the server.
const maxAdminAnswer = 64 << 20

func newAdminCmd() *cobra.Command {
	f := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Client of the admin API: sessions, ending a session, users, policy status, audit head",
		Long: `Talks to the admin API of a running rwarden (admin.address with admin.tls, see
docs/operations.md) over TLS with a client certificate, or an API token
(rwarden token create), of a user holding the admin role (admin.role, default
role:admin). Every request is recorded in the audit trail.

The flags can also be set by environment: RWARDEN_ADMIN_ADDRESS, RWARDEN_ADMIN_CERT,
RWARDEN_ADMIN_KEY, RWARDEN_ADMIN_CA; the token only by environment,
RWARDEN_ADMIN_TOKEN, so that it never shows in a process listing.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.address, "address", envOr("RWARDEN_ADMIN_ADDRESS", "127.0.0.1:9100"), "admin listener host:port")
	pf.StringVar(&f.cert, "cert", os.Getenv("RWARDEN_ADMIN_CERT"), "client certificate (PEM) of an admin user")
	pf.StringVar(&f.key, "key", os.Getenv("RWARDEN_ADMIN_KEY"), "its private key (PEM)")
	f.token = os.Getenv("RWARDEN_ADMIN_TOKEN")
	pf.StringVar(&f.ca, "ca", os.Getenv("RWARDEN_ADMIN_CA"), "CA bundle (PEM) that the server's certificate must chain to (default: the system's)")
	pf.BoolVar(&f.json, "json", false, "print the server's JSON answer")
	pf.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long")

	cmd.AddCommand(&cobra.Command{
		Use: "sessions", Short: "List open sessions (user, listener, protocol, age, CPU, memory, last evaluation)",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var ss []core.SessionInfo
			return f.do(c, http.MethodGet, "sessions", &ss, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tUSER\tLISTENER\tPROTOCOL\tAGE\tCPU\tMEMORY\tLAST EVAL")
				for _, s := range ss {
					last := "-"
					if s.LastEval != nil {
						last = time.Since(*s.LastEval).Round(time.Second).String() + " ago"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2fs\t%s\t%s\n", s.ID, s.User, s.Listener, s.Protocol,
						time.Duration(s.AgeSeconds*float64(time.Second)).Round(time.Second), s.CPUSeconds, mib(s.MemoryBytes), last)
				}
				tw.Flush()
			})
		},
	})
	var reason string
	kill := &cobra.Command{
		Use: "kill ID", Short: "End a session: its R worker is killed, its client is told why",
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path := "sessions/" + url.PathEscape(args[0])
			if reason != "" {
				path += "?reason=" + url.QueryEscape(reason)
			}
			var ans map[string]string
			return f.do(c, http.MethodDelete, path, &ans, func(w io.Writer) { fmt.Fprintf(w, "ended %s\n", ans["ended"]) })
		},
	}
	kill.Flags().StringVar(&reason, "reason", "", "why (the session's client and the audit trail see it)")
	cmd.AddCommand(kill)
	cmd.AddCommand(&cobra.Command{
		Use: "users", Short: "List users and their roles", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var us []core.UserInfo
			return f.do(c, http.MethodGet, "users", &us, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USER\tROLES\tPOLICY\tPASSWORD\tSESSIONS")
				for _, u := range us {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", u.User, strings.Join(u.Roles, ","), yesNo(u.Policy), yesNo(u.Password), u.Sessions)
				}
				tw.Flush()
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "policy", Short: "Show the policy reload status (generation, time, warnings)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var st core.PolicyStatus
			return f.do(c, http.MethodGet, "policy", &st, func(w io.Writer) {
				fmt.Fprintf(w, "directory:  %s\ngeneration: %d\nloaded at:  %s\nrejected:   %d\n", st.Dir, st.Generation, st.LoadedAt.Format(time.RFC3339), st.Rejected)
				if r := st.LastReload; r != nil {
					res := "ok"
					if !r.OK {
						res = "rejected: " + r.Error
					}
					fmt.Fprintf(w, "last reload: %s %s (%s)\n", r.Time.Format(time.RFC3339), r.File, res)
				}
				for _, warn := range st.Warnings {
					fmt.Fprintf(w, "warning: %s\n", warn)
				}
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "audit-head", Short: "Show the audit chain head (sequence number and hash)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var h core.AuditHead
			return f.do(c, http.MethodGet, "audit/head", &h, func(w io.Writer) { fmt.Fprintf(w, "seq %d hash %s\n", h.Seq, h.Hash) })
		},
	})
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func mib(n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}

// client is an HTTPS client presenting the admin certificate (if any).
func (f *adminFlags) client() (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case f.cert != "" && f.key != "":
		cert, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case f.token == "":
		return nil, errors.New("the admin API needs --cert and --key (a client certificate of an admin user) or RWARDEN_ADMIN_TOKEN (an API token of one)")
	}
	if f.ca != "" {
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return nil, fmt.Errorf("reading --ca: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s holds no PEM certificate", f.ca)
		}
	}
	return &http.Client{Timeout: f.timeout, Transport: &http.Transport{TLSClientConfig: tc}}, nil
}

// do sends one request and prints the answer: the JSON as received with
// --json, else through show after decoding it into v.
func (f *adminFlags) do(cmd *cobra.Command, method, path string, v any, show func(io.Writer)) error {
	hc, err := f.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "https://"+f.address+"/admin/v1/"+path, nil)
	if err != nil {
		return fmt.Errorf("admin request: %w", err)
	}
	if f.token != "" && (f.cert == "" || f.key == "") {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer+1))
	if err != nil {
		return fmt.Errorf("reading the admin answer: %w", err)
	}
	if len(body) > maxAdminAnswer {
		return fmt.Errorf("the admin answer is larger than %d bytes", maxAdminAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("admin API: %s (%s)", e.Error, resp.Status)
		}
		return fmt.Errorf("admin API: %s", resp.Status)
	}
	out := cmd.OutOrStdout()
	if f.json {
		_, err := io.Copy(out, bytes.NewReader(body))
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding the admin answer: %w", err)
	}
	show(out)
	return nil
}
