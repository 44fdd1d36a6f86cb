package transport

import (
	"crypto/tls"
	"fmt"

	"github.com/rwarden/rwarden/proxy/config"
)

// tls12Suites are the only TLS 1.2 cipher suites offered: ECDHE key exchange
// (forward secrecy) with an AEAD cipher. TLS 1.3 suites are all AEAD and not
// configurable in Go.
var tls12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// NewTLSConfig builds the server TLS configuration of a listener: TLS 1.2 at
// least (1.3 is negotiated whenever the client offers it), only ECDHE+AEAD
// suites for 1.2, no renegotiation (Go servers never renegotiate; the field
// is set as a statement of intent), no session tickets, and client
// certificates per l.ClientAuth, verified against l.ClientCA.
//
// The certificate, key and client CA bundle are served from the returned
// CertReloader, so Reload (on SIGHUP) swaps them for new handshakes without
// touching established connections.
func NewTLSConfig(l config.ListenerTLS) (*tls.Config, *CertReloader, error) {
	var auth tls.ClientAuthType
	switch l.ClientAuth {
	case "", config.ClientAuthNone:
		auth = tls.NoClientCert
	case config.ClientAuthRequest:
		auth = tls.VerifyClientCertIfGiven
	case config.ClientAuthRequire:
		auth = tls.RequireAndVerifyClientCert
	default:
		return nil, nil, fmt.Errorf("tls: unknown client_auth %q", l.ClientAuth)
	}
	if auth != tls.NoClientCert && l.ClientCA == "" {
		return nil, nil, fmt.Errorf("tls: client_auth %s needs client_ca", l.ClientAuth)
	}
	r, err := NewCertReloader(l.Cert, l.Key, l.ClientCA)
	if err != nil {
		return nil, nil, err
	}
	base := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   tls12Suites,
		ClientAuth:     auth,
		GetCertificate: r.GetCertificate,
		// Without tickets a stolen ticket key cannot decrypt past sessions;
		// clients make one evaluation per connection anyway.
		SessionTicketsDisabled: true,
		Renegotiation:          tls.RenegotiateNever,
	}
	cfg := base.Clone()
	// Each handshake gets the CA pool current at that moment, so a reloaded
	// client_ca applies to new connections only.
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.ClientCAs = r.clientCAs()
		return c, nil
	}
	cfg.ClientCAs = r.clientCAs()
	return cfg, r, nil
}
