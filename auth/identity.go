package auth

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"
)

// Method says how an identity was established.
type Method string

// The authentication methods.
const (
	MethodPassword    Method = "password"
	MethodCertificate Method = "certificate"
	MethodPeerCred    Method = "peercred"
	MethodAnonymous   Method = "anonymous"
	MethodToken       Method = "token" // an rwarden API token (Detail: "token ID")
	MethodOIDC        Method = "oidc"  // an OIDC bearer token (Detail: issuer and subject)
)

// Identity is an authenticated rwarden user. Detail records where it came
// from for logs and audit: the certificate subject, the peer uid, or the
// source address. It never holds a secret.
type Identity struct {
	User   string
	Method Method
	Detail string
}

// CertMapping says which certificate field names the user.
type CertMapping struct {
	// Field is "cn" (default: the subject common name), "san_email",
	// "san_dns" or "san_uri".
	Field string
	// Domain, when set, restricts and shortens SAN names:
	//   san_email: the address must be local@Domain; the user is local.
	//   san_dns:   the name must be label.Domain; the user is label.
	//   san_uri:   the URI's host must be Domain.
	// Without it an email's local part, a whole DNS name, or a URI's last
	// path segment is the user, whatever the domain: only safe when the
	// client CA issues nothing but rwarden client certificates.
	Domain string
}

// oidCommonName is the X.520 commonName attribute.
var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// UserFromCert maps a verified client certificate to a candidate user name.
// It fails if the field is missing, appears more than once (ambiguous), or
// does not yield a valid user name. It does not check that the user exists:
// the caller must refuse the connection unless Store.Has(name).
func UserFromCert(cert *x509.Certificate, m CertMapping) (string, error) {
	if cert == nil {
		return "", errors.New("mapping certificate: no certificate")
	}
	field := m.Field
	if field == "" {
		field = "cn"
	}
	var name string
	switch field {
	case "cn":
		n := 0
		for _, a := range cert.Subject.Names {
			if a.Type.Equal(oidCommonName) {
				n++
			}
		}
		if n > 1 {
			return "", errors.New("mapping certificate: subject has more than one common name")
		}
		name = cert.Subject.CommonName
		if name == "" {
			return "", errors.New("mapping certificate: subject has no common name")
		}
	case "san_email":
		addr, err := single(cert.EmailAddresses, "email address")
		if err != nil {
			return "", err
		}
		local, domain, ok := strings.Cut(addr, "@")
		if !ok || strings.Contains(domain, "@") {
			return "", errors.New("mapping certificate: malformed email address")
		}
		if m.Domain != "" && !strings.EqualFold(domain, m.Domain) {
			return "", fmt.Errorf("mapping certificate: email domain is not %s", m.Domain)
		}
		name = local
	case "san_dns":
		dns, err := single(cert.DNSNames, "DNS name")
		if err != nil {
			return "", err
		}
		dns = strings.ToLower(strings.TrimSuffix(dns, "."))
		if m.Domain != "" {
			label, ok := strings.CutSuffix(dns, "."+strings.ToLower(strings.TrimSuffix(m.Domain, ".")))
			if !ok || strings.Contains(label, ".") {
				return "", fmt.Errorf("mapping certificate: DNS name is not NAME.%s", m.Domain)
			}
			dns = label
		}
		name = dns
	case "san_uri":
		if len(cert.URIs) != 1 {
			return "", fmt.Errorf("mapping certificate: want exactly one URI, found %d", len(cert.URIs))
		}
		u := cert.URIs[0]
		if u.Opaque != "" || u.Path == "" {
			return "", errors.New("mapping certificate: URI has no path")
		}
		if m.Domain != "" && !strings.EqualFold(u.Hostname(), m.Domain) {
			return "", fmt.Errorf("mapping certificate: URI host is not %s", m.Domain)
		}
		name = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	default:
		return "", fmt.Errorf("mapping certificate: unknown field %q (want cn, san_email, san_dns or san_uri)", field)
	}
	if !ValidUserName(name) {
		return "", fmt.Errorf("mapping certificate: %s %q is not a valid user name", field, truncate(name, 64))
	}
	return name, nil
}

// single returns the only element of vs.
func single(vs []string, what string) (string, error) {
	if len(vs) != 1 {
		return "", fmt.Errorf("mapping certificate: want exactly one %s, found %d", what, len(vs))
	}
	return vs[0], nil
}

// truncate bounds attacker-chosen text before it goes into an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// UserFromUID maps a local uid (from Unix socket peer credentials) to the
// local account name, a candidate rwarden user. As with certificates, the
// caller must refuse the connection unless Store.Has(name): having a local
// account does not make one an rwarden user.
func UserFromUID(uid uint32) (string, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return "", fmt.Errorf("mapping uid %d: %w", uid, err)
	}
	if !ValidUserName(u.Username) {
		return "", fmt.Errorf("mapping uid %d: local name %q is not a valid user name", uid, truncate(u.Username, 64))
	}
	return u.Username, nil
}
