package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// CertReloader holds a listener's certificate, key and client CA pool behind
// an atomic pointer, so they can be replaced while handshakes are running.
type CertReloader struct {
	certFile, keyFile, caFile string
	cur                       atomic.Pointer[certState]
}

type certState struct {
	cert *tls.Certificate
	cas  *x509.CertPool // nil when no client CA is configured
}

// NewCertReloader loads the certificate and key (and, if caFile is not
// empty, the client CA bundle).
func NewCertReloader(certFile, keyFile, caFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile, caFile: caFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload re-reads the files. If any of them is missing or broken, or the
// certificate does not match the key, the previous ones stay in use and the
// error is returned. Established connections are never affected.
func (r *CertReloader) Reload() error {
	if r.certFile == "" || r.keyFile == "" {
		return errors.New("tls: a certificate and a key are required")
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls: loading certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	st := &certState{cert: &cert}
	if r.caFile != "" {
		pem, err := os.ReadFile(r.caFile)
		if err != nil {
			return fmt.Errorf("tls: reading client CA bundle: %w", err)
		}
		st.cas = x509.NewCertPool()
		if !st.cas.AppendCertsFromPEM(pem) {
			return fmt.Errorf("tls: client CA bundle %s holds no PEM certificate", r.caFile)
		}
	}
	r.cur.Store(st)
	return nil
}

// GetCertificate serves the current certificate (tls.Config.GetCertificate).
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load().cert, nil
}

// Certificate returns the certificate currently served.
func (r *CertReloader) Certificate() *tls.Certificate { return r.cur.Load().cert }

func (r *CertReloader) clientCAs() *x509.CertPool { return r.cur.Load().cas }

// Leaf is the certificate currently served, parsed (nil if it cannot be).
func (r *CertReloader) Leaf() *x509.Certificate {
	c := r.cur.Load().cert
	if c.Leaf != nil {
		return c.Leaf
	}
	if len(c.Certificate) == 0 {
		return nil
	}
	x, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return x
}
