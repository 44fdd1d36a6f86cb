package main

// rwarden eval: the Go client of the framed protocol. It sends one piece of
// R code to a server (plaintext, TLS, mTLS or a unix socket) and prints the
// answer.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { rootCmd.AddCommand(newEvalCmd()) }

// Exit statuses of rwarden eval.
const (
	evalExitErrorAnswer = 1 // the server answered, with an error
	evalExitFailure     = 2 // no answer: bad arguments, connection or protocol failure
)

// maxEvalCode bounds code read from a file or stdin; servers refuse far less.
const maxEvalCode = 64 << 20

type evalFlags struct {
	addr, unixPath, user, encoding, code string
	useTLS                               bool
	tlsCA, cert, key, serverName         string
	timeout                              time.Duration
	maxAnswer                            int64
	stream                               bool
}

func newEvalCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval [-e CODE | FILE | -]",
		Short: "Send R code to an rwarden server and print the answer",
		Long: `Send R code to an rwarden server over the framed protocol and print the answer.

The code comes from -e, from FILE, or from standard input ("-" or no argument).
TLS is used with --tls, --tls-ca or --cert. With --user, the password is taken
from RWARDEN_PASSWORD or asked for on the terminal.

Exit status: 0 for an answer, 1 when the answer is an error (R error, policy
denial, limit), 2 when no answer was obtained.`,
		Example: `  rwarden eval --addr 127.0.0.1:9443 --tls-ca pki/ca.pem --user alice -e 'R.version$language'
  echo 'summary(cars)' | rwarden eval --addr 127.0.0.1:9090
  rwarden eval --unix /run/rwarden/rwarden.sock script.R`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runEval(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "", "server address HOST:PORT")
	fl.StringVar(&f.unixPath, "unix", "", "connect to this unix socket instead of --addr")
	fl.BoolVar(&f.useTLS, "tls", false, "use TLS (implied by --tls-ca and --cert)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "CA certificate(s) to verify the server with (default: system roots)")
	fl.StringVar(&f.cert, "cert", "", "client certificate (PEM)")
	fl.StringVar(&f.key, "key", "", "client certificate key (PEM)")
	fl.StringVar(&f.serverName, "server-name", "", "name to verify the server certificate against (default: the host of --addr, or localhost)")
	fl.StringVar(&f.user, "user", "", "user name (password from RWARDEN_PASSWORD or a prompt)")
	fl.StringVar(&f.encoding, "encoding", "UTF-8", "text encoding of code and answer")
	fl.StringVarP(&f.code, "eval", "e", "", "R code to evaluate")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "give up after this long")
	fl.Int64Var(&f.maxAnswer, "max-answer", 256<<20, "largest answer accepted, in bytes")
	fl.BoolVar(&f.stream, "stream", false, "print output as R produces it (the STREAM extension; the error, if any, comes after the output)")
	return cmd
}

func runEval(cmd *cobra.Command, f evalFlags, args []string) error {
	if (f.addr == "") == (f.unixPath == "") {
		return withExit(evalExitFailure, errors.New("give exactly one of --addr HOST:PORT or --unix PATH"))
	}
	if (f.cert == "") != (f.key == "") {
		return withExit(evalExitFailure, errors.New("--cert and --key go together"))
	}
	code, err := readEvalCode(f.code, cmd.Flags().Changed("eval"), args, cmd.InOrStdin())
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	enc, err := framed.LookupEncoding(f.encoding)
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	raw, err := enc.EncodeStrict(code)
	if err != nil {
		return withExit(evalExitFailure, fmt.Errorf("encoding the code: %w", err))
	}
	conn, creds, done, err := framedConnect(cmd, f)
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	defer done()
	if f.stream {
		return streamEval(cmd, conn, creds, f, enc, raw)
	}
	if err := framed.WriteRequest(conn, creds, f.encoding, raw); err != nil {
		return withExit(evalExitFailure, err)
	}
	body, err := framed.ReadResponse(conn, f.maxAnswer)
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	answer := string(body)
	if dec, err := enc.Decode(body); err == nil {
		answer = string(dec)
	}
	out := cmd.OutOrStdout()
	fmt.Fprint(out, answer)
	if answer != "" && !strings.HasSuffix(answer, "\n") {
		fmt.Fprintln(out)
	}
	if strings.HasPrefix(answer, "Error") {
		return withExit(evalExitErrorAnswer, nil)
	}
	return nil
}

// streamEval sends a STREAM request and prints each frame as it arrives.
func streamEval(cmd *cobra.Command, conn net.Conn, creds *framed.Credentials, f evalFlags, enc framed.Encoding, raw []byte) error {
	if err := framed.WriteStreamRequest(conn, creds, f.encoding, raw); err != nil {
		return withExit(evalExitFailure, err)
	}
	out := cmd.OutOrStdout()
	var total int64
	last := ""
	for {
		kind, body, err := framed.ReadStreamFrame(conn, f.maxAnswer-total)
		if err != nil {
			return withExit(evalExitFailure, err)
		}
		total += int64(len(body))
		text := string(body)
		if dec, err := enc.Decode(body); err == nil {
			text = string(dec)
		}
		if kind == framed.FrameResult {
			if text != "" && last != "" && !strings.HasSuffix(last, "\n") {
				fmt.Fprintln(out)
			}
			fmt.Fprint(out, text)
			if strings.HasPrefix(text, "Error") {
				return withExit(evalExitErrorAnswer, nil)
			}
			return nil
		}
		fmt.Fprint(out, text)
		if text != "" {
			last = text
		}
	}
}

// readEvalCode takes code from -e, a file, or standard input ("-" or nothing).
func readEvalCode(code string, codeSet bool, args []string, stdin io.Reader) (string, error) {
	if codeSet {
		if len(args) > 0 {
			return "", errors.New("give either -e CODE or a file, not both")
		}
		return code, nil
	}
	var r io.Reader = stdin
	if len(args) > 0 && args[0] != "-" {
		fh, err := os.Open(args[0])
		if err != nil {
			return "", fmt.Errorf("reading code: %w", err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, maxEvalCode+1))
	if err != nil {
		return "", fmt.Errorf("reading code: %w", err)
	}
	if len(b) > maxEvalCode {
		return "", fmt.Errorf("reading code: more than %d bytes", maxEvalCode)
	}
	return string(b), nil
}

// framedConnect takes the password (with --user), dials the server and
// gives the connection the deadline of --timeout; done closes it and
// forgets the password.
func framedConnect(cmd *cobra.Command, f evalFlags) (conn net.Conn, creds *framed.Credentials, done func(), err error) {
	var pw []byte
	if f.user != "" {
		if pw, err = evalPassword(f.user, cmd.ErrOrStderr()); err != nil {
			return nil, nil, nil, err
		}
		creds = &framed.Credentials{User: f.user, Password: pw}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	if conn, err = evalDial(ctx, f); err != nil {
		cancel()
		clear(pw)
		return nil, nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return conn, creds, func() {
		conn.Close()
		cancel()
		clear(pw)
	}, nil
}

// evalPassword takes the password from RWARDEN_PASSWORD or asks on the
// controlling terminal (not stdin, which may carry the code).
func evalPassword(user string, prompt io.Writer) ([]byte, error) {
	if pw, ok := os.LookupEnv("RWARDEN_PASSWORD"); ok {
		return []byte(pw), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("no terminal to ask for the password on; set RWARDEN_PASSWORD")
	}
	defer tty.Close()
	fmt.Fprintf(prompt, "Password for %s: ", user)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	return pw, nil
}

func evalDial(ctx context.Context, f evalFlags) (net.Conn, error) {
	var d net.Dialer
	network, address, host := "tcp", f.addr, "localhost"
	if f.unixPath != "" {
		network, address = "unix", f.unixPath
	} else if h, _, err := net.SplitHostPort(f.addr); err == nil {
		host = h
	} else {
		return nil, fmt.Errorf("--addr %q: %w", f.addr, err)
	}
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	if !f.useTLS && f.tlsCA == "" && f.cert == "" {
		return conn, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if f.serverName != "" {
		cfg.ServerName = f.serverName
	}
	if f.tlsCA != "" {
		pem, err := os.ReadFile(f.tlsCA)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("reading --tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			conn.Close()
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", f.tlsCA)
		}
	}
	if f.cert != "" {
		pair, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("loading client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}
