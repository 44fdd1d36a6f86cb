package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/framed"
)

// Issue 18, acceptance 4 (PAM): an rwarden built with -tags pam checks a
// listener's passwords through a PAM service (pam_unix here, against a
// local test user made with useradd and chpasswd); the user's Unix group
// becomes their role; a wrong password and a removed user are refused;
// logins are audited with auth_method pam.
func TestE2EPAMLogin(t *testing.T) {
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("creates a local user: needs root")
	}
	if _, err := os.Stat("/usr/include/security/pam_appl.h"); err != nil {
		t.Skip("libpam0g-dev is not installed: cannot build with -tags pam")
	}
	_, file, _, _ := runtime.Caller(0)
	pamBin := filepath.Join(t.TempDir(), "rwarden-pam")
	out, err := exec.Command("go", "build", "-tags", "pam", "-o", pamBin, filepath.Join(filepath.Dir(file), "..", "..", "cmd", "rwarden")).CombinedOutput()
	require.NoError(t, err, string(out))

	const user, group, pw = "rwpame2e", "rwpame2eanalysts", "pam-E2e-Secret"
	removeUser := testutil.LocalUser(t, user, group, pw)

	state, st := prepareState(t)
	pamDir := filepath.Join(state, "pam.d")
	require.NoError(t, os.Mkdir(pamDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pamDir, "rwarden"), []byte("auth required pam_unix.so nodelay\naccount required pam_unix.so\n"), 0o644))

	saved := bin
	bin = pamBin // serveWith starts the PAM build
	t.Cleanup(func() { bin = saved })
	tlsPort := freePort(t)
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s}
    pam: {service: rwarden, conf_dir: %s, group_roles: {%s: [role:analyst]}}
`, tlsPort, l.TLS.Cert, l.TLS.Key, pamDir, group), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\n")
	bin = saved
	e := &fixture{srv: srv, tlsAddr: fmt.Sprintf("127.0.0.1:%d", tlsPort), pki: st.PKI, audit: filepath.Join(state, "audit.jsonl")}
	login := func(u, p, code string) string {
		return e.evalTLS(t, e.tlsConfig(t, "", ""), &framed.Credentials{User: u, Password: []byte(p)}, code)
	}
	assert.Equal(t, "[1] \"x\"\n", login(user, pw, `writeLines("x", "f.txt"); readLines("f.txt")`), "an analyst through the Unix group")
	rec := e.lastEval(t)
	assert.Equal(t, user, rec.User)
	assert.Equal(t, "pam", rec.AuthMethod)
	assert.Equal(t, "Error: authentication failed\n", login(user, "wrong", "1"))
	time.Sleep(1500 * time.Millisecond) // failed logins from one address are delayed
	removeUser()
	assert.Equal(t, "Error: authentication failed\n", login(user, pw, "1"), "a removed user is refused")

	n := 0
	_, err = audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventAuth}, func(r *audit.Record) error {
		if r.AuthMethod == "pam" {
			n++
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, n, "every PAM login is audited")
}
