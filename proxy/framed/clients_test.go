package framed_test

// These tests run the shipped Python and R clients against a small framed
// server written here with this package. They test the clients' codecs (and
// this package against independent implementations); end-to-end tests with
// real R evaluation live with the server.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/framed"
)

var (
	pythonClient = filepath.Join("..", "..", "clients", "python", "rwarden_client.py")
	rClient      = filepath.Join("..", "..", "clients", "R", "rwarden.R")
)

const longLines = 100_000

// answerFor is the test server's reply: it echoes what it decoded, so the
// client's encoding and AUTH handling are visible in the answer. "中" is not
// representable in latin1 and must come back as <U+4E2D> there.
func answerFor(r *framed.Request) string {
	switch string(r.Code) {
	case "LONG":
		var sb strings.Builder
		for i := 1; i <= longLines; i++ {
			fmt.Fprintf(&sb, "[%d] \"line %d é\"\n", i, i)
		}
		return sb.String()
	case "FAIL":
		return "Error: it failed\n"
	}
	user, pass := "-", "-"
	if r.Auth != nil {
		user, pass = r.Auth.User, string(r.Auth.Password)
	}
	return fmt.Sprintf("user=%s pass=%s enc=%s code=%s 中\n", user, pass, r.Encoding.Name(), r.Code)
}

// chunkWriter splits writes into small pieces with pauses so the client
// sees the answer in many segments.
type chunkWriter struct{ w io.Writer }

func (c chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for i := 0; len(p) > 0; i++ {
		k := min(len(p), 1000)
		m, err := c.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
		if i%64 == 63 {
			time.Sleep(time.Millisecond)
		}
	}
	return n, nil
}

// serveFramed answers every connection on ln with answerFor.
func serveFramed(t *testing.T, ln net.Listener) {
	t.Helper()
	testutil.ServeConns(t, ln, 30*time.Second, func(c net.Conn) {
		r, err := framed.ReadRequest(c, framed.Limits{})
		var pe *framed.ProtocolError
		switch {
		case errors.As(err, &pe):
			_ = framed.WriteResponse(c, framed.UTF8, pe.Answer())
		case err != nil:
			return
		default:
			_ = framed.WriteResponse(chunkWriter{c}, r.Encoding, answerFor(r))
		}
	})
}

func startTCP(t *testing.T) (host, port string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveFramed(t, ln)
	host, port, err = net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	return host, port
}

func startUnix(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "framed.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	serveFramed(t, ln)
	return path
}

func longAnswer() string { return answerFor(&framed.Request{Code: []byte("LONG")}) }

// run runs cmd; a non-zero exit is returned (with stderr logged), any
// other failure to run is fatal.
func run(t *testing.T, cmd *exec.Cmd) (stdout string, exit int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Logf("%s exited %d; stderr:\n%s", filepath.Base(cmd.Path), ee.ExitCode(), errb.String())
		return out.String(), ee.ExitCode()
	}
	require.NoError(t, err, "stderr: %s", errb.String())
	return out.String(), 0
}

func needPython(t *testing.T) string {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	return py
}

func TestPythonClientCLI(t *testing.T) {
	py := needPython(t)
	host, port := startTCP(t)
	unixPath := startUnix(t)
	tests := []struct {
		name     string
		args     []string
		env      []string
		stdin    string
		want     string
		wantExit int
	}{
		{"drop-in command line", []string{"--hostname", host, "--port", port}, nil,
			"R.version\n", "user=- pass=- enc=UTF-8 code=R.version\n 中\n", 0},
		{"latin1", []string{"--hostname", host, "--port", port, "--encoding", "latin1"}, nil,
			"cat('café')", "user=- pass=- enc=ISO-8859-1 code=cat('café') <U+4E2D>\n", 0},
		{"ASCII", []string{"--hostname", host, "--port", port, "--encoding", "ascii"}, nil,
			"1+1", "user=- pass=- enc=US-ASCII code=1+1 <U+4E2D>\n", 0},
		{"user and password from the environment", []string{"--hostname", host, "--port", port, "--user", "alice"},
			[]string{"RWARDEN_PASSWORD=s3cr:ét"}, "1", "user=alice pass=s3cr:ét enc=UTF-8 code=1 中\n", 0},
		{"unix socket", []string{"--unix", unixPath}, nil, "2", "user=- pass=- enc=UTF-8 code=2 中\n", 0},
		{"100,000-line answer in many segments", []string{"--hostname", host, "--port", port}, nil, "LONG", longAnswer(), 0},
		{"error answer, default exit 0", []string{"--hostname", host, "--port", port}, nil, "FAIL", "Error: it failed\n", 0},
		{"error answer with --check", []string{"--hostname", host, "--port", port, "--check"}, nil, "FAIL", "Error: it failed\n", 1},
		{"unknown encoding refused by the client", []string{"--hostname", host, "--port", port, "--encoding", "cp1252x"}, nil,
			"1", "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(py, append([]string{pythonClient}, tc.args...)...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
			cmd.Env = append(cmd.Env, tc.env...)
			out, exit := run(t, cmd)
			assert.Equal(t, tc.wantExit, exit)
			if tc.want != "" {
				assert.True(t, out == tc.want, "answer differs: got %d bytes %q..., want %d bytes", len(out), head(out), len(tc.want))
			}
		})
	}
}

func head(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

func TestPythonClientImported(t *testing.T) {
	py := needPython(t)
	host, port := startTCP(t)
	script := fmt.Sprintf(`
import sys, hashlib
import rwarden_client as rc
a = rc.evaluate("x <- 'ü'", hostname=%[1]q, port=%[2]s)
sys.stdout.write(a)
a = rc.evaluate(b"y", hostname=%[1]q, port=%[2]s, encoding="latin1", user="bob", password="pw")
sys.stdout.write(a)
long = rc.evaluate("LONG", hostname=%[1]q, port=%[2]s)
sys.stdout.write("%%d %%s\n" %% (len(long.splitlines()), hashlib.sha256(long.encode()).hexdigest()))
try:
    rc.evaluate("1", hostname=%[1]q, port=1)
except rc.RwardenError as e:
    sys.stdout.write("RwardenError\n")
`, host, port)
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Dir(pythonClient), "PYTHONIOENCODING=utf-8")
	out, exit := run(t, cmd)
	require.Equal(t, 0, exit, out)
	long := longAnswer()
	want := "user=- pass=- enc=UTF-8 code=x <- 'ü' 中\n" +
		"user=bob pass=pw enc=ISO-8859-1 code=y <U+4E2D>\n" +
		fmt.Sprintf("%d %s\n", longLines, sha256hex(long)) +
		"RwardenError\n"
	assert.Equal(t, want, out)
}

func needR(t *testing.T) string {
	rs, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not installed")
	}
	return rs
}

func TestRClient(t *testing.T) {
	rs := needR(t)
	host, port := startTCP(t)
	tests := []struct {
		name string
		call string
		env  []string
		want string
	}{
		{"plain", `rwarden_eval("R.version", host = %q, port = %s)`, nil, "user=- pass=- enc=UTF-8 code=R.version 中\n"},
		{"several lines", `rwarden_eval(c("x <- 1", "x"), host = %q, port = %s)`, nil, "user=- pass=- enc=UTF-8 code=x <- 1\nx 中\n"},
		{"latin1", `rwarden_eval("cat('caf\u00e9')", host = %q, port = %s, encoding = "latin1")`, nil,
			"user=- pass=- enc=ISO-8859-1 code=cat('café') <U+4E2D>\n"},
		{"AUTH", `rwarden_eval("1", host = %q, port = %s, user = "alice", password = "s3cr:\u00e9t")`, nil,
			"user=alice pass=s3cr:ét enc=UTF-8 code=1 中\n"},
		{"AUTH password from environment", `rwarden_eval("1", host = %q, port = %s, user = "carol")`,
			[]string{"RWARDEN_PASSWORD=from-env"}, "user=carol pass=from-env enc=UTF-8 code=1 中\n"},
		{"100,000 lines", `rwarden_eval("LONG", host = %q, port = %s)`, nil, longAnswer()},
		{"error answer", `rwarden_eval("FAIL", host = %q, port = %s)`, nil, "Error: it failed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expr := fmt.Sprintf(`source(%q); a <- %s; cat(a, sep = "")`, rClient, fmt.Sprintf(tc.call, host, port))
			cmd := exec.Command(rs, "--vanilla", "-e", expr)
			cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
			cmd.Env = append(cmd.Env, tc.env...)
			out, exit := run(t, cmd)
			require.Equal(t, 0, exit)
			assert.True(t, out == tc.want, "answer differs: got %d bytes %q..., want %d bytes", len(out), head(out), len(tc.want))
		})
	}
}

// The R client's hand-written base64 must agree with the standard one on
// every length modulo 3 and on every byte value.
func TestRClientBase64(t *testing.T) {
	rs := needR(t)
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i))
	}
	inputs := [][]byte{{}, {'f'}, []byte("fo"), []byte("foo"), []byte("foob"), all, all[:255], all[:254]}
	var expr strings.Builder
	fmt.Fprintf(&expr, "source(%q)\n", rClient)
	for _, in := range inputs {
		fmt.Fprintf(&expr, "cat(.rwarden_base64(as.raw(c(%s))), '\\n', sep = '')\n", rInts(in))
	}
	out, exit := run(t, exec.Command(rs, "--vanilla", "-e", expr.String()))
	require.Equal(t, 0, exit)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, len(inputs))
	for i, in := range inputs {
		assert.Equal(t, b64(in), lines[i], "input %d", i)
	}
}

func rInts(b []byte) string {
	s := make([]string, len(b))
	for i, c := range b {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}
