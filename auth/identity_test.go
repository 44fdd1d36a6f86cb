package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/url"
	"os/user"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// certSpec describes a test client certificate.
type certSpec struct {
	cns    []string
	emails []string
	dns    []string
	uris   []string
}

// makeCert builds, signs (self-signed) and parses a real certificate, so
// that Subject.Names reflects the DER as a TLS handshake would.
func makeCert(t *testing.T, s certSpec) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	var subj pkix.Name
	subj.Organization = []string{"rwarden tests"}
	for _, cn := range s.cns {
		subj.ExtraNames = append(subj.ExtraNames, pkix.AttributeTypeAndValue{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: cn})
	}
	tmpl := &x509.Certificate{
		SerialNumber:   big.NewInt(1),
		Subject:        subj,
		NotBefore:      time.Now().Add(-time.Hour),
		NotAfter:       time.Now().Add(time.Hour),
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		EmailAddresses: s.emails,
		DNSNames:       s.dns,
	}
	for _, u := range s.uris {
		pu, err := url.Parse(u)
		require.NoError(t, err)
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

func TestUserFromCert(t *testing.T) {
	tests := []struct {
		name    string
		spec    certSpec
		mapping CertMapping
		want    string
		wantErr string
	}{
		{"cn default", certSpec{cns: []string{"alice"}}, CertMapping{}, "alice", ""},
		{"cn explicit", certSpec{cns: []string{"bob.smith"}}, CertMapping{Field: "cn"}, "bob.smith", ""},
		{"cn missing", certSpec{emails: []string{"alice@example.org"}}, CertMapping{}, "", "no common name"},
		{"cn ambiguous", certSpec{cns: []string{"alice", "root"}}, CertMapping{}, "", "more than one common name"},
		{"cn invalid", certSpec{cns: []string{"Alice Smith"}}, CertMapping{}, "", "not a valid user name"},
		{"cn path traversal", certSpec{cns: []string{"../../etc/passwd"}}, CertMapping{}, "", "not a valid user name"},
		{"email local part", certSpec{emails: []string{"alice@example.org"}}, CertMapping{Field: "san_email"}, "alice", ""},
		{"email domain ok", certSpec{emails: []string{"alice@Example.org"}}, CertMapping{Field: "san_email", Domain: "example.org"}, "alice", ""},
		{"email wrong domain", certSpec{emails: []string{"alice@evil.example"}}, CertMapping{Field: "san_email", Domain: "example.org"}, "", "domain is not"},
		{"email missing", certSpec{cns: []string{"alice"}}, CertMapping{Field: "san_email"}, "", "exactly one email address, found 0"},
		{"email ambiguous", certSpec{emails: []string{"a@x.org", "b@x.org"}}, CertMapping{Field: "san_email"}, "", "found 2"},
		{"dns whole name", certSpec{dns: []string{"worker-1.lab"}}, CertMapping{Field: "san_dns"}, "worker-1.lab", ""},
		{"dns with domain", certSpec{dns: []string{"Alice.Clients.Example.org"}}, CertMapping{Field: "san_dns", Domain: "clients.example.org"}, "alice", ""},
		{"dns nested label", certSpec{dns: []string{"a.b.clients.example.org"}}, CertMapping{Field: "san_dns", Domain: "clients.example.org"}, "", "is not NAME."},
		{"dns wrong domain", certSpec{dns: []string{"alice.evil.org"}}, CertMapping{Field: "san_dns", Domain: "clients.example.org"}, "", "is not NAME."},
		{"dns ambiguous", certSpec{dns: []string{"a.lab", "b.lab"}}, CertMapping{Field: "san_dns"}, "", "found 2"},
		{"uri last segment", certSpec{uris: []string{"spiffe://example.org/rwarden/alice"}}, CertMapping{Field: "san_uri", Domain: "example.org"}, "alice", ""},
		{"uri wrong host", certSpec{uris: []string{"spiffe://evil.org/rwarden/alice"}}, CertMapping{Field: "san_uri", Domain: "example.org"}, "", "host is not"},
		{"uri opaque", certSpec{uris: []string{"urn:rwarden:alice"}}, CertMapping{Field: "san_uri"}, "", "no path"},
		{"uri trailing slash", certSpec{uris: []string{"spiffe://example.org/alice/"}}, CertMapping{Field: "san_uri"}, "", "not a valid user name"},
		{"uri missing", certSpec{cns: []string{"alice"}}, CertMapping{Field: "san_uri"}, "", "found 0"},
		{"unknown field", certSpec{cns: []string{"alice"}}, CertMapping{Field: "serial"}, "", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UserFromCert(makeCert(t, tt.spec), tt.mapping)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := UserFromCert(nil, CertMapping{})
	assert.Error(t, err)
}

func TestUserFromUID(t *testing.T) {
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err, "this test needs a nobody account")
	nobodyUID, err := strconv.ParseUint(nobody.Uid, 10, 32)
	require.NoError(t, err)
	tests := []struct {
		name string
		uid  uint32
		want string
	}{
		{"root", 0, "root"},
		{"nobody", uint32(nobodyUID), "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UserFromUID(tt.uid)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err = UserFromUID(4_000_000_000)
	assert.ErrorContains(t, err, "mapping uid 4000000000")
}
