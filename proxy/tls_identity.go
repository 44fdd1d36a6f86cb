package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// ClientCertUser names the user a verified client certificate stands for,
// per the listener's cert_user mode: the subject CN, or the first email, DNS
// or URI subject alternative name. Only a certificate the handshake verified
// counts (VerifiedChains non-empty); an unverified one is never an identity.
// ok is false when the client sent no certificate.
func ClientCertUser(cs tls.ConnectionState, mode string) (user string, ok bool, err error) {
	if len(cs.PeerCertificates) == 0 {
		return "", false, nil
	}
	if len(cs.VerifiedChains) == 0 {
		return "", false, errors.New("client certificate was not verified")
	}
	leaf := cs.PeerCertificates[0]
	switch mode {
	case "", CertUserCN:
		user = leaf.Subject.CommonName
	case CertUserSANEmail:
		if len(leaf.EmailAddresses) > 0 {
			user = leaf.EmailAddresses[0]
		}
	case CertUserSANDNS:
		if len(leaf.DNSNames) > 0 {
			user = leaf.DNSNames[0]
		}
	case CertUserSANURI:
		if len(leaf.URIs) > 0 {
			user = leaf.URIs[0].String()
		}
	default:
		return "", false, fmt.Errorf("unknown cert_user mode %q", mode)
	}
	if user == "" {
		return "", false, fmt.Errorf("client certificate has no %s to name a user", mode)
	}
	return user, true, nil
}
