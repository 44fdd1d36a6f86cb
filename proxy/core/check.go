package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// CheckConfig is the config.Check of the settings that belong to the inner
// layers: the audit trail's fsync policy and code mode, and the sandbox's
// busy-poll range. Load a configuration with config.Load(path,
// core.CheckConfig).
func CheckConfig(c *config.Config, p *config.Problems) { _ = checkAuditAndPool(c, p) }

func checkAuditAndPool(c *config.Config, p *config.Problems) error {
	var bad bool
	switch c.Audit.Fsync {
	case "", audit.FsyncInterval, audit.FsyncAlways, audit.FsyncBatch, audit.FsyncNever:
	default:
		p.Addf("audit.fsync", "must be interval, always, batch or never, got %q", c.Audit.Fsync)
		bad = true
	}
	if c.Audit.Code != "" {
		if err := audit.ValidateCodeMode(c.Audit.Code); err != nil {
			p.Addf("audit.code", "must be full, truncated:N or hash_only, got %q", c.Audit.Code)
			bad = true
		}
	}
	if c.Pool.BusyPoll != nil && (c.Pool.BusyPoll.Std() < 0 || c.Pool.BusyPoll.Std() > sandbox.MaxBusyPoll) {
		config.DurationIn(p, "pool.busy_poll", *c.Pool.BusyPoll, 0, sandbox.MaxBusyPoll)
		bad = true
	}
	if bad {
		return p.Err()
	}
	return nil
}

// certExpiryWarning is how close to expiry a certificate is reported.
const certExpiryWarning = 30 * 24 * time.Hour

// CheckOptions tune CheckAll.
type CheckOptions struct {
	// CacheDir keeps the R exports index the policy check builds ("" for
	// state_dir/cache).
	CacheDir string
	// Now is the time certificates are checked at (zero: now).
	Now time.Time
	// Embedded: c is the embedded defaults, whose first run creates the
	// development PKI, the users file and the policies; their absence is
	// no problem.
	Embedded bool
}

// CheckAll validates the whole configuration without serving (rwarden
// config check): what CheckConfig checks, the listeners' certificates and
// keys (readable, matching, not expired or about to), the client CA
// bundles, the users file (it must exist), the policies (they must load),
// the R installation, and that every name under limits is a role or user
// of the policy. Every problem is in the returned *config.Error, nil when
// there is none.
func CheckAll(ctx context.Context, c *config.Config, o CheckOptions) error {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	missing := func(path string) bool {
		_, err := os.Stat(path)
		return o.Embedded && errors.Is(err, fs.ErrNotExist)
	}
	p := config.NewProblems(c)
	CheckConfig(c, p)
	for i, l := range c.Listeners {
		at := "listeners[" + strconv.Itoa(i) + "].tls"
		if l.TLS.Cert != "" && l.TLS.Key != "" && !missing(l.TLS.Cert) {
			checkCertPair(p, at, l.TLS.Cert, l.TLS.Key, now)
		}
		if l.TLS.ClientCA != "" && !missing(l.TLS.ClientCA) {
			checkCABundle(p, at+".client_ca", l.TLS.ClientCA, now)
		}
	}
	if _, err := auth.ListUsers(c.UsersFile); err != nil && !missing(c.UsersFile) {
		p.Addf("users_file", "%v", err)
	}
	if st, err := os.Stat(filepath.Join(c.Pool.RHome, "bin", "exec", "R")); err != nil || st.IsDir() {
		p.Addf("pool.r_home", "%s is not an R installation (no bin/exec/R)", c.Pool.RHome)
	} else if !missing(c.PoliciesDir) {
		cacheDir := o.CacheDir
		if cacheDir == "" {
			cacheDir = filepath.Join(c.StateDir, "cache")
		}
		pol, err := policy.Open(ctx, policy.Config{Dir: c.PoliciesDir, CacheDir: cacheDir, RHome: c.Pool.RHome, LibPaths: c.LibraryPaths(),
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			p.Addf("policies_dir", "%v", err)
		} else {
			checkLimitNames(c, pol, p)
			checkData(c, pol, p)
		}
	}
	return p.Err()
}

func checkCertPair(p *config.Problems, at, certFile, keyFile string, now time.Time) {
	certs, err := readCerts(certFile)
	if err != nil {
		p.Addf(at+".cert", "%v", err)
		return
	}
	checkExpiry(p, at+".cert", certFile, certs[0], now)
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		p.Addf(at+".key", "%v", err)
	}
}

func checkCABundle(p *config.Problems, at, file string, now time.Time) {
	certs, err := readCerts(file)
	if err != nil {
		p.Addf(at, "%v", err)
		return
	}
	for _, c := range certs {
		checkExpiry(p, at, file, c, now)
	}
}

func checkExpiry(p *config.Problems, at, file string, c *x509.Certificate, now time.Time) {
	switch {
	case now.After(c.NotAfter):
		p.Addf(at, "certificate %q in %s expired on %s", c.Subject.CommonName, file, c.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(c.NotBefore):
		p.Addf(at, "certificate %q in %s is not valid before %s", c.Subject.CommonName, file, c.NotBefore.UTC().Format(time.DateOnly))
	case c.NotAfter.Sub(now) < certExpiryWarning:
		p.Addf(at, "certificate %q in %s expires on %s, in less than 30 days", c.Subject.CommonName, file, c.NotAfter.UTC().Format(time.DateOnly))
	}
}

// readCerts reads every certificate of a PEM file.
func readCerts(file string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return out, nil
}
