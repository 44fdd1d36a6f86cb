package main

import (
	"fmt"

	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newPKICmd()) }

func newPKICmd() *cobra.Command {
	cmd := &cobra.Command{Use: "pki", Short: "Certificates for rwarden's listeners"}
	dev := &cobra.Command{
		Use:   "dev DIR",
		Short: "Create or renew a development CA and a localhost server certificate in DIR",
		Long: `Creates in DIR (mode 0700) what is missing of a small development PKI: a CA
(ca.pem, ca.key; ECDSA P-256, ten years) and a server certificate for localhost,
127.0.0.1 and ::1 (server.pem, server.key) signed by it. What exists is kept; a
server certificate within 30 days of expiry, or not signed by the CA, is issued
anew. Keys are written 0600.

This is what rwarden serve without --config uses, and what the Debian package
creates in /etc/rwarden/pki so that the service starts on loopback. It is not
meant for production: there, point the listener's tls keys at certificates from
your own CA.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := setup.EnsureDevPKI(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "CA certificate:     %s\nserver certificate: %s\nserver key:         %s\n",
				p.CACertPath, p.ServerCertPath, p.ServerKeyPath)
			return nil
		},
	}
	cmd.AddCommand(dev)
	return cmd
}
