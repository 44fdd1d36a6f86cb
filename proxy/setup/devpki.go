package setup

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/google/renameio/v2"
)

// File names of the development PKI inside its directory.
const (
	DevPKIDirName     = "pki"
	DevCACertFile     = "ca.pem"
	DevCAKeyFile      = "ca.key"
	DevServerCertFile = "server.pem"
	DevServerKeyFile  = "server.key"
)

const (
	devCAValidity     = 10 * 365 * 24 * time.Hour
	devServerValidity = 397 * 24 * time.Hour // what browsers accept at most
	devClientValidity = 397 * 24 * time.Hour
	devRenewBefore    = 30 * 24 * time.Hour
)

// DevPKI is a small certificate authority for development and for the safe
// out-of-the-box defaults of `rwarden serve`: a CA and a server certificate
// for localhost, 127.0.0.1 and ::1. It is not meant for production, where an
// operator brings real certificates.
type DevPKI struct {
	Dir            string
	CACertPath     string
	CAKeyPath      string
	ServerCertPath string
	ServerKeyPath  string

	caCert *x509.Certificate
	caKey  crypto.Signer
}

// EnsureDevPKI loads the development PKI in dir, creating what is missing:
// the directory (0700), a CA (ECDSA P-256, ten years) and a server
// certificate. A server certificate that is missing, unreadable, not signed
// by the CA or within 30 days of expiry is issued anew. Private keys are
// written 0600, certificates 0644, each atomically.
func EnsureDevPKI(dir string) (*DevPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev PKI: %w", err)
	}
	p := &DevPKI{
		Dir:            dir,
		CACertPath:     filepath.Join(dir, DevCACertFile),
		CAKeyPath:      filepath.Join(dir, DevCAKeyFile),
		ServerCertPath: filepath.Join(dir, DevServerCertFile),
		ServerKeyPath:  filepath.Join(dir, DevServerKeyFile),
	}
	caCert, caKey, err := loadPair(p.CACertPath, p.CAKeyPath)
	if err != nil || !caCert.IsCA || time.Until(caCert.NotAfter) < devRenewBefore {
		if caCert, caKey, err = p.createCA(); err != nil {
			return nil, err
		}
		// A new CA invalidates the old server certificate.
		_ = os.Remove(p.ServerCertPath)
	}
	p.caCert, p.caKey = caCert, caKey
	srv, _, err := loadPair(p.ServerCertPath, p.ServerKeyPath)
	if err != nil || srv.CheckSignatureFrom(caCert) != nil || time.Until(srv.NotAfter) < devRenewBefore {
		if err := p.IssueServerCert(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *DevPKI) createCA() (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("dev PKI: generating CA key: %w", err)
	}
	tmpl, err := certTemplate("rwarden development CA", devCAValidity)
	if err != nil {
		return nil, nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.MaxPathLenZero = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("dev PKI: creating CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("dev PKI: %w", err)
	}
	if err := writePair(p.CACertPath, p.CAKeyPath, der, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// IssueServerCert issues a new server certificate for localhost, 127.0.0.1
// and ::1, signed by the dev CA, replacing the current one.
func (p *DevPKI) IssueServerCert() error {
	tmpl, err := certTemplate("localhost", devServerValidity)
	if err != nil {
		return err
	}
	tmpl.DNSNames = []string{"localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return p.issue(tmpl, p.ServerCertPath, p.ServerKeyPath)
}

// clientNameRE limits client certificate names to what can safely become a
// file name and a user name.
var clientNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

// IssueClientCert issues a client certificate with subject CN cn, signed by
// the dev CA, and writes dir/<cn>.pem (0644) and dir/<cn>.key (0600). cn must
// be a valid user name; it becomes the identity under cert_user: cn.
func (p *DevPKI) IssueClientCert(cn string, dir string) (certPath, keyPath string, err error) {
	if !clientNameRE.MatchString(cn) {
		return "", "", fmt.Errorf("dev PKI: %q is not a valid user name for a client certificate", cn)
	}
	if p.caCert == nil || p.caKey == nil {
		return "", "", errors.New("dev PKI: CA not loaded; use EnsureDevPKI")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("dev PKI: %w", err)
	}
	tmpl, err := certTemplate(cn, devClientValidity)
	if err != nil {
		return "", "", err
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	certPath, keyPath = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+".key")
	if err := p.issue(tmpl, certPath, keyPath); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

func (p *DevPKI) issue(tmpl *x509.Certificate, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("dev PKI: generating key: %w", err)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, key.Public(), p.caKey)
	if err != nil {
		return fmt.Errorf("dev PKI: issuing %q: %w", tmpl.Subject.CommonName, err)
	}
	return writePair(certPath, keyPath, der, key)
}

func certTemplate(cn string, validity time.Duration) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("dev PKI: serial number: %w", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"rwarden development"}},
		NotBefore:    now.Add(-5 * time.Minute), // tolerate small clock skew
		NotAfter:     now.Add(validity),
	}, nil
}

// loadPair reads a PEM certificate and PKCS#8 key and checks that they
// belong together.
func loadPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	cpem, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kpem, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(cpem)
	kb, _ := pem.Decode(kpem)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("key cannot sign")
	}
	pub, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil || !bytes.Equal(pub, cert.RawSubjectPublicKeyInfo) {
		return nil, nil, errors.New("certificate and key do not match")
	}
	return cert, signer, nil
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("dev PKI: encoding key: %w", err)
	}
	// Key first: a certificate must never be on disk without its key.
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	clear(kder)
	return writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFileAtomic writes via a temporary file in the same directory, fsync
// and rename (google/renameio), so a crash leaves the old file or the new
// one, never half.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := renameio.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("dev PKI: writing %s: %w", path, err)
	}
	return nil
}
