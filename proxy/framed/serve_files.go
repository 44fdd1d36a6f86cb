package framed

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/transport"
)

// serveFiles answers an authenticated files request (files.go) on the
// user's workspace, if their policy grants files:workspace.
func serveFiles(ctx context.Context, c *core.Core, conn net.Conn, br *bufio.Reader, id core.Identity, peer core.Peer, req *FilesRequest, readTimeout time.Duration) {
	log := c.Logger()
	fail := func(err error) { filesError(log, conn, peer, err) }
	ws, err := c.Workspace(ctx, id, peer, "files")
	if err != nil {
		fail(err)
		return
	}
	switch req.Op {
	case FilesList:
		files, err := ws.List(ctx)
		if err != nil {
			fail(err)
			return
		}
		var b bytes.Buffer
		for _, f := range files {
			fmt.Fprintf(&b, "%s\t%d\t%s\n", f.Name, f.Size, f.Modified.UTC().Format(time.RFC3339))
		}
		send(log, conn, peer, FilesOK, &b, int64(b.Len()))
	case FilesGet:
		f, size, err := ws.Open(ctx, req.Name)
		if err != nil {
			fail(err)
			return
		}
		defer f.Close()
		_ = conn.SetWriteDeadline(time.Now().Add(transport.AnswerTimeout + time.Duration(size>>20)*time.Second))
		if err := writeFilesAnswer(conn, FilesOK, f, size); err != nil {
			log.Debug("sending workspace file failed", "remote", peer.Remote, "err", err)
		}
	case FilesPut:
		size, err := ReadPutLength(br, c.LimitsFor(id.User).Data)
		if err != nil {
			fail(err)
			return
		}
		// The upload must arrive within the read timeout per 16 MiB.
		_ = conn.SetReadDeadline(time.Now().Add(readTimeout * time.Duration(1+size>>24)))
		if err := ws.Put(ctx, req.Name, br, size); err != nil {
			fail(err)
			return
		}
		msg := fmt.Sprintf("stored %s (%d bytes)\n", req.Name, size)
		send(log, conn, peer, FilesOK, strings.NewReader(msg), int64(len(msg)))
	}
}

// filesError answers a files request with an error and drains what the
// client may still be sending (a refused upload).
func filesError(log *slog.Logger, conn net.Conn, peer core.Peer, err error) {
	msg := "Error: " + err.Error() + "\n"
	_ = conn.SetWriteDeadline(time.Now().Add(transport.AnswerTimeout))
	if werr := writeFilesAnswer(conn, FilesError, strings.NewReader(msg), int64(len(msg))); werr != nil {
		log.Debug("writing files answer failed", "remote", peer.Remote, "err", werr)
	}
	drainAfterAnswer(conn)
}

func send(log *slog.Logger, conn net.Conn, peer core.Peer, status byte, body io.Reader, size int64) {
	_ = conn.SetWriteDeadline(time.Now().Add(transport.AnswerTimeout))
	if err := writeFilesAnswer(conn, status, body, size); err != nil {
		log.Debug("writing files answer failed", "remote", peer.Remote, "err", err)
	}
}
