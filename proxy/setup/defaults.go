package setup

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

// DefaultAddress is where `rwarden serve` without a configuration listens.
const DefaultAddress = "127.0.0.1:9443"

// DefaultHTTPAddress is the embedded defaults' HTTP API listener.
const DefaultHTTPAddress = "127.0.0.1:9444"

// DefaultConfig is the configuration of `rwarden serve` without --config:
// two TLS listeners, the framed protocol on 127.0.0.1:9443 and the HTTP API
// on 127.0.0.1:9444, using the development PKI that
// EnsureDevPKI creates in stateDir/pki (client certificates requested and
// verified against its CA), and users, policies and audit under stateDir.
func DefaultConfig(stateDir string) *config.Config {
	if abs, err := filepath.Abs(stateDir); err == nil {
		stateDir = abs
	}
	c := config.Base()
	c.StateDir = stateDir
	pki := filepath.Join(stateDir, DevPKIDirName)
	l := config.NewListener(DefaultAddress)
	l.TLS = config.ListenerTLS{
		Cert:       filepath.Join(pki, DevServerCertFile),
		Key:        filepath.Join(pki, DevServerKeyFile),
		ClientCA:   filepath.Join(pki, DevCACertFile),
		ClientAuth: config.ClientAuthRequest,
		CertUser:   config.CertUserCN,
	}
	h := config.NewListener(DefaultHTTPAddress)
	h.Protocol = config.ProtocolHTTP
	h.TLS = l.TLS
	c.Listeners = []config.ListenerConfig{l, h}
	c.FillPaths("")
	return c
}

// DemoUser is the user `rwarden serve` without a configuration creates.
const DemoUser = "demo"

// DefaultState is what PrepareDefaultState set up.
type DefaultState struct {
	Config *config.Config
	PKI    *DevPKI
	// DemoPassword is set only when the demo user was created by this call:
	// the one time it can be shown.
	DemoPassword string
	// DemoCert and DemoKey are a client certificate for the demo user.
	DemoCert, DemoKey string
}

// PrepareDefaultState makes the state directory of a configuration-less
// `rwarden serve`: a development CA and server certificate, the shipped
// policies (from policies, not overwriting an existing directory), and a
// users file with the demo user (role analyst) and a random password.
// Safe to call again: what exists is kept.
func PrepareDefaultState(stateDir string, policies fs.FS, argon auth.Params) (*DefaultState, error) {
	cfg := DefaultConfig(stateDir)
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	st := &DefaultState{Config: cfg}
	var err error
	if st.PKI, err = EnsureDevPKI(filepath.Join(cfg.StateDir, DevPKIDirName)); err != nil {
		return nil, err
	}
	clients := filepath.Join(cfg.StateDir, DevPKIDirName, "clients")
	st.DemoCert = filepath.Join(clients, DemoUser+".pem")
	st.DemoKey = filepath.Join(clients, DemoUser+".key")
	if _, err := os.Stat(st.DemoCert); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(clients, 0o700); err != nil {
			return nil, err
		}
		if st.DemoCert, st.DemoKey, err = st.PKI.IssueClientCert(DemoUser, clients); err != nil {
			return nil, fmt.Errorf("issuing the demo client certificate: %w", err)
		}
	}
	if _, err := os.Stat(cfg.PoliciesDir); errors.Is(err, fs.ErrNotExist) {
		if err := InstallPolicies(cfg.PoliciesDir, policies); err != nil {
			return nil, err
		}
	}
	users, err := auth.ListUsers(cfg.UsersFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, u := range users {
		if u == DemoUser {
			return st, nil
		}
	}
	pw := make([]byte, 18)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	st.DemoPassword = base64.RawURLEncoding.EncodeToString(pw)
	if err := auth.AddUser(cfg.UsersFile, DemoUser, []byte(st.DemoPassword), argon); err != nil {
		return nil, fmt.Errorf("creating the demo user: %w", err)
	}
	return st, nil
}

// InstallPolicies copies the shipped policies and gives the demo user the
// analyst role.
func InstallPolicies(dir string, src fs.FS) error {
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err == nil {
		demo := "# The demo user of `rwarden serve` without a configuration: an analyst.\ng, " + DemoUser + ", role:analyst\n"
		err = os.WriteFile(filepath.Join(tmp, "users", DemoUser+".csv"), []byte(demo), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("installing the shipped policies into %s: %w", dir, err)
	}
	return nil
}
