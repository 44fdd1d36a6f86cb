package qap1

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/rwarden/rwarden/proxy/core"
)

// Rserve's file commands on the user's workspace, for users whose policy
// grants files:workspace (core.Workspace): CMD_openFile and
// CMD_createFile take a plain file name (no directories), one file is open
// at a time per connection, CMD_readFile returns up to the requested bytes
// (at most maxFileRead; 64KiB when no size is given), CMD_writeFile appends
// a DT_BYTESTREAM within the workspace quota and the user's data limit,
// CMD_closeFile stores a created file, CMD_removeFile deletes one. Users
// not granted get ERR_accessDenied and an access_denied record, as before.

// maxFileRead bounds one CMD_readFile answer.
const (
	maxFileRead     = 16 << 20
	defaultFileRead = 64 << 10
)

// fileState is the connection's open workspace file.
type fileState struct {
	ws *core.Workspace
	r  *os.File     // opened for reading
	w  *core.Upload // created for writing
}

// closeFiles drops what the connection left open; an upload the client
// did not close with CMD_closeFile is discarded.
func (c *qapConn) closeFiles() {
	if c.files.r != nil {
		c.files.r.Close()
		c.files.r = nil
	}
	if c.files.w != nil {
		c.files.w.Abort()
		c.files.w = nil
	}
}

// cmdFile serves one file command.
func (c *qapConn) cmdFile(ctx context.Context, cmd int32, params []Param) bool {
	if c.files.ws == nil {
		ws, err := c.core.Workspace(ctx, *c.id, c.peer, "CMD_"+qapCommandNames[cmd])
		if err != nil {
			if errors.Is(err, core.ErrFilesDenied) {
				return c.answerErr(ErrAccessDenied)
			}
			c.srv.log.Info("QAP1 workspace unavailable", "remote", c.peer.Remote, "err", err)
			return c.answerErr(ErrIOerror)
		}
		c.files.ws = ws
	}
	ws := c.files.ws
	name := func() (string, bool) {
		if len(params) < 1 || params[0].Type != DtString {
			return "", false
		}
		return c.text(params[0].String()), true
	}
	switch cmd {
	case CmdOpenFile, CmdCreateFile:
		n, ok := name()
		if !ok {
			return c.answerErr(ErrInvPar)
		}
		c.closeFiles()
		if cmd == CmdOpenFile {
			f, _, err := ws.Open(ctx, n)
			if err != nil {
				return c.fileErr(err)
			}
			c.files.r = f
		} else {
			u, err := ws.Create(ctx, n)
			if err != nil {
				return c.fileErr(err)
			}
			c.files.w = u
		}
		return c.answerOK(nil)
	case CmdReadFile:
		if c.files.r == nil {
			return c.answerErr(ErrNotOpen)
		}
		size := defaultFileRead
		if len(params) > 0 {
			v, ok := params[0].Int()
			if !ok || v < 0 {
				return c.answerErr(ErrInvPar)
			}
			size = min(int(v), maxFileRead)
		}
		buf := make([]byte, size)
		n, err := io.ReadFull(c.files.r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return c.fileErr(err)
		}
		return c.answerOK(buf[:n])
	case CmdWriteFile:
		if c.files.w == nil {
			return c.answerErr(ErrNotOpen)
		}
		if len(params) < 1 || params[0].Type != DtBytestream {
			return c.answerErr(ErrInvPar)
		}
		if _, err := c.files.w.Write(params[0].Data); err != nil {
			return c.fileErr(err)
		}
		return c.answerOK(nil)
	case CmdCloseFile:
		var err error
		if c.files.w != nil {
			err = c.files.w.Close(ctx)
			c.files.w = nil
		}
		c.closeFiles()
		if err != nil {
			return c.fileErr(err)
		}
		return c.answerOK(nil)
	case CmdRemoveFile:
		n, ok := name()
		if !ok {
			return c.answerErr(ErrInvPar)
		}
		if err := ws.Remove(ctx, n); err != nil {
			return c.fileErr(err)
		}
		return c.answerOK(nil)
	}
	return c.answerErr(ErrInvCmd)
}

// fileErr answers a failed file command with ERR_IOerror, saying why in
// geterrmessage() when the connection has a session.
func (c *qapConn) fileErr(err error) bool {
	c.srv.log.Info("QAP1 file command failed", "remote", c.peer.Remote, "err", err)
	if errors.Is(err, core.ErrAuditUnavailable) {
		return c.refuse(ErrAccessDenied)
	}
	if c.sess != nil {
		c.setErrorMessage(context.Background(), "Error: "+err.Error()+"\n")
	}
	return c.answerErr(ErrIOerror)
}
