package main

// rwarden files: list, download and upload the files of one's workspace
// over the framed protocol's files extension (proxy/framed/files.go).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/spf13/cobra"
)

func init() { rootCmd.AddCommand(newFilesCmd()) }

func newFilesCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "files ls | get NAME [OUT] | put FILE [NAME]",
		Short: "List, download and upload the files of your workspace on an rwarden server",
		Long: `List, download and upload the files at the top of your persistent workspace
(R's ~ in your sessions) on an rwarden server, over the framed protocol.
Your policy must grant files:workspace and the server must have workspaces on.

  ls               one line per file: name, size in bytes, modification time
  get NAME [OUT]   write the file to OUT (default: NAME in the current directory; - for stdout)
  put FILE [NAME]  upload FILE as NAME (default: FILE's base name)

Connection flags are those of rwarden eval. Exit status: 0 on success, 1 when
the server refused, 2 when no answer was obtained.`,
		Example: `  rwarden files --addr 127.0.0.1:9443 --tls-ca pki/ca.pem --user alice put data.csv
  rwarden files --addr 127.0.0.1:9443 --tls-ca pki/ca.pem --user alice ls`,
		Args: cobra.RangeArgs(1, 3),
		RunE: func(cmd *cobra.Command, args []string) error { return runFiles(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "", "server address HOST:PORT")
	fl.StringVar(&f.unixPath, "unix", "", "connect to this unix socket instead of --addr")
	fl.BoolVar(&f.useTLS, "tls", false, "use TLS (implied by --tls-ca and --cert)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "CA certificate(s) to verify the server with (default: system roots)")
	fl.StringVar(&f.cert, "cert", "", "client certificate (PEM)")
	fl.StringVar(&f.key, "key", "", "client certificate key (PEM)")
	fl.StringVar(&f.serverName, "server-name", "", "name to verify the server certificate against")
	fl.StringVar(&f.user, "user", "", "user name (password from RWARDEN_PASSWORD or a prompt)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after this long")
	fl.Int64Var(&f.maxAnswer, "max-answer", 4<<30, "largest download accepted, in bytes")
	return cmd
}

func runFiles(cmd *cobra.Command, f evalFlags, args []string) error {
	if (f.addr == "") == (f.unixPath == "") {
		return withExit(evalExitFailure, errors.New("give exactly one of --addr HOST:PORT or --unix PATH"))
	}
	if (f.cert == "") != (f.key == "") {
		return withExit(evalExitFailure, errors.New("--cert and --key go together"))
	}
	var op, name, local string
	switch {
	case args[0] == "ls" && len(args) == 1:
		op = framed.FilesList
	case args[0] == "get" && len(args) >= 2:
		op, name, local = framed.FilesGet, args[1], args[1]
		if len(args) == 3 {
			local = args[2]
		}
	case args[0] == "put" && len(args) >= 2:
		op, local, name = framed.FilesPut, args[1], filepath.Base(args[1])
		if len(args) == 3 {
			name = args[2]
		}
	default:
		return withExit(evalExitFailure, errors.New("usage: rwarden files ls | get NAME [OUT] | put FILE [NAME]"))
	}
	var upload *os.File
	var size int64
	if op == framed.FilesPut {
		fh, err := os.Open(local)
		if err != nil {
			return withExit(evalExitFailure, err)
		}
		defer fh.Close()
		st, err := fh.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return withExit(evalExitFailure, fmt.Errorf("%s is not a regular file", local))
		}
		upload, size = fh, st.Size()
	}
	conn, creds, done, err := framedConnect(cmd, f)
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	defer done()
	if err := framed.WriteFilesRequest(conn, creds, op, name); err != nil {
		return withExit(evalExitFailure, err)
	}
	if upload != nil {
		// A server refusing the upload (quota, limit) answers before it has
		// read the data: its answer is still read when sending fails.
		if err := framed.WritePutData(conn, upload, size); err != nil {
			if ok, body, _, rerr := framed.ReadFilesAnswer(conn, 64<<10); rerr == nil && !ok {
				_, _ = io.Copy(cmd.ErrOrStderr(), body)
				return withExit(evalExitErrorAnswer, nil)
			}
			return withExit(evalExitFailure, err)
		}
	}
	ok, body, n, err := framed.ReadFilesAnswer(conn, f.maxAnswer)
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	if !ok {
		_, _ = io.Copy(cmd.ErrOrStderr(), io.LimitReader(body, 64<<10))
		return withExit(evalExitErrorAnswer, nil)
	}
	if op != framed.FilesGet || local == "-" {
		if _, err := io.Copy(cmd.OutOrStdout(), body); err != nil {
			return withExit(evalExitFailure, err)
		}
		return nil
	}
	return saveDownload(local, body, n)
}

// saveDownload writes a download next to its destination and renames it
// there once complete, so that a broken transfer leaves no partial file.
func saveDownload(dst string, body io.Reader, n int64) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".rwarden-get-*")
	if err != nil {
		return withExit(evalExitFailure, err)
	}
	got, err := io.Copy(tmp, body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && got != n {
		err = fmt.Errorf("download ended after %d of %d bytes", got, n)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return withExit(evalExitFailure, err)
	}
	return nil
}
