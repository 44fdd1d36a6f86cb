package config

import "strings"

// fillPaths resolves the admin TLS files and sets the admin defaults.
func (a *AdminConfig) fillPaths(abs func(string) string) {
	a.TLS.Cert, a.TLS.Key, a.TLS.ClientCA = abs(a.TLS.Cert), abs(a.TLS.Key), abs(a.TLS.ClientCA)
	if a.TLS.Enabled() {
		// /healthz must stay reachable for load balancers without a
		// certificate: a certificate is asked for, and the admin API
		// refuses requests without one.
		if a.TLS.ClientAuth == "" {
			a.TLS.ClientAuth = ClientAuthRequest
		}
		if a.TLS.CertUser == "" {
			a.TLS.CertUser = CertUserCN
		}
	}
	if a.Role == "" {
		a.Role = DefaultAdminRole
	}
}

// validate checks the admin TLS settings and role.
func (a AdminConfig) validate(bad func(string, string, ...any)) {
	if !strings.HasPrefix(a.Role, "role:") || !userNameRE.MatchString(strings.TrimPrefix(a.Role, "role:")) {
		bad("admin.role", "must be a policy role such as role:admin, got %q", a.Role)
	}
	if !a.TLS.Enabled() {
		return
	}
	if a.Address == "" {
		bad("admin.tls", "admin.tls needs admin.address")
	}
	if a.TLS.Cert == "" {
		bad("admin.tls.cert", "a TLS certificate is required")
	}
	if a.TLS.Key == "" {
		bad("admin.tls.key", "a TLS private key is required")
	}
	if a.TLS.ClientCA == "" {
		bad("admin.tls.client_ca", "the admin API authenticates client certificates: client_ca is required")
	}
	switch a.TLS.ClientAuth {
	case ClientAuthRequest, ClientAuthRequire:
	default:
		bad("admin.tls.client_auth", "must be request (the default: /healthz and /metrics without a certificate) or require, got %q", a.TLS.ClientAuth)
	}
	switch a.TLS.CertUser {
	case CertUserCN, CertUserSANEmail, CertUserSANDNS, CertUserSANURI:
	default:
		bad("admin.tls.cert_user", "must be cn, san_email, san_dns or san_uri, got %q", a.TLS.CertUser)
	}
}
