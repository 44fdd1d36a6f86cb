package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/setup"
)

const alicePassword = "wonderland-42"

func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// clip shortens s for a failure message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// ask sends one framed request in encoding over a new TCP connection.
func ask(t *testing.T, addr, encoding string, code []byte) string {
	t.Helper()
	return askOn(t, "tcp", addr, encoding, code)
}

// askOn sends one framed request over a new connection.
func askOn(t *testing.T, network, addr, encoding string, code []byte) string {
	t.Helper()
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, framed.WriteRequest(c, nil, encoding, code))
	ans, err := framed.ReadResponse(c, 0)
	require.NoError(t, err)
	return string(ans)
}

// Acceptance 1: the Python client (CLI and imported), the R client and
// `rwarden eval` get the right answers.
func TestE2EClients(t *testing.T) {
	needR(t)
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	tlsPort := freePort(t)
	l := st.Config.Listeners[0]
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    tls: {cert: %s, key: %s, client_ca: %s, client_auth: request}
`, tlsPort, l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA), "pool: {warm: 2, max: 8, acquire_timeout: 2m}\n")
	e := struct {
		plain, tlsAddr string
		pki            *setup.DevPKI
		evalPlain      func(*testing.T, string) string
	}{srv.addr, fmt.Sprintf("127.0.0.1:%d", tlsPort), st.PKI, srv.eval}
	host, port, err := net.SplitHostPort(e.plain)
	require.NoError(t, err)

	hundredK := `cat(1:100000, sep = "\n")` // about 590 KB: under the 1 MiB output limit
	cases := []struct {
		name, code string
		check      func(t *testing.T, ans string)
	}{
		{"version", `R.version$language`, func(t *testing.T, a string) { assert.Equal(t, "[1] \"R\"\n", a) }},
		{"regression", `summary(lm(dist ~ speed, cars))`, func(t *testing.T, a string) {
			assert.Contains(t, a, "Residual standard error: 15.38 on 48 degrees of freedom")
		}},
		{"100k lines", hundredK, func(t *testing.T, a string) {
			lines := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
			require.Equal(t, 100000, len(lines), "answer starts %q", clip(a, 200))
			assert.Equal(t, "1", lines[0])
			assert.Equal(t, "100000", lines[99999])
		}},
		{"utf-8", `x <- "Grüße, naïve café ∑"; cat(x, "\n"); nchar(x)`, func(t *testing.T, a string) {
			assert.Equal(t, "Grüße, naïve café ∑ \n[1] 19\n", a)
		}},
	}
	py := func(t *testing.T, code string, args ...string) string {
		cmd := exec.Command("python3", append([]string{repoFile("clients", "python", "rwarden_client.py")}, args...)...)
		cmd.Stdin = strings.NewReader(code)
		out, err := cmd.Output()
		require.NoError(t, err)
		return string(out)
	}
	clients := map[string]func(t *testing.T, code string) string{
		"go framed": func(t *testing.T, code string) string { return e.evalPlain(t, code) },
		"python cli": func(t *testing.T, code string) string {
			return py(t, code, "--hostname", host, "--port", port)
		},
		"python import": func(t *testing.T, code string) string {
			script := fmt.Sprintf("import sys; sys.path.insert(0, %q); from rwarden_client import evaluate; sys.stdout.write(evaluate(sys.stdin.read(), hostname=%q, port=%s))",
				repoFile("clients", "python"), host, port)
			cmd := exec.Command("python3", "-c", script)
			cmd.Stdin = strings.NewReader(code)
			out, err := cmd.Output()
			require.NoError(t, err)
			return string(out)
		},
		"R client": func(t *testing.T, code string) string {
			f := filepath.Join(t.TempDir(), "code.R")
			require.NoError(t, os.WriteFile(f, []byte(code), 0o644))
			script := fmt.Sprintf(`source(%q); code <- paste(readLines(%q, encoding = "UTF-8"), collapse = "\n"); cat(rwarden_eval(code, host = %q, port = %s))`,
				repoFile("clients", "R", "rwarden.R"), f, host, port)
			out, err := exec.Command("Rscript", "--vanilla", "-e", script).Output()
			require.NoError(t, err)
			return string(out)
		},
		"rwarden eval over TLS with a password": func(t *testing.T, code string) string {
			cmd := exec.Command(bin, "eval", "--addr", e.tlsAddr, "--tls-ca", e.pki.CACertPath, "--user", "alice", "-")
			cmd.Stdin = strings.NewReader(code)
			cmd.Env = append(os.Environ(), "RWARDEN_PASSWORD="+alicePassword)
			out, err := cmd.Output()
			require.NoError(t, err)
			return string(out)
		},
		"python over TLS with a password": func(t *testing.T, code string) string {
			_, tport, _ := net.SplitHostPort(e.tlsAddr)
			cmd := exec.Command("python3", repoFile("clients", "python", "rwarden_client.py"), "--hostname", "localhost",
				"--port", tport, "--tls", "--ca", e.pki.CACertPath, "--user", "alice")
			cmd.Stdin = strings.NewReader(code)
			cmd.Env = append(os.Environ(), "RWARDEN_PASSWORD="+alicePassword)
			out, err := cmd.Output()
			require.NoError(t, err)
			return string(out)
		},
	}
	for cname, client := range clients {
		for _, tc := range cases {
			t.Run(cname+"/"+tc.name, func(t *testing.T) { tc.check(t, client(t, tc.code)) })
		}
	}

	t.Run("latin1", func(t *testing.T) {
		enc := charmap.ISO8859_1.NewEncoder()
		code, err := enc.Bytes([]byte(`cat("Grüße\n"); toupper("façade")`))
		require.NoError(t, err)
		for _, name := range []string{"latin1", "ISO-8859-1"} {
			ans := ask(t, e.plain, name, code)
			dec, err := charmap.ISO8859_1.NewDecoder().String(ans)
			require.NoError(t, err)
			assert.Equal(t, "Grüße\n[1] \"FAÇADE\"\n", dec, name)
		}
		// Characters latin1 cannot hold come back as R writes them in a
		// latin1 locale.
		ans := ask(t, e.plain, "latin1", []byte(`cat(intToUtf8(8721), "\n")`))
		assert.Equal(t, "<U+2211> \n", ans)
	})
}
