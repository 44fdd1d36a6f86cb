package framed

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Workspace files over the framed protocol: an extension old clients never
// send. In place of the encoding line (after an optional AUTH line) a
// client sends one line naming the operation, then for GET and PUT the
// file name as a length-prefixed string, and for PUT the file's bytes:
//
//	FILES LS\n
//	FILES GET\n <8-byte LE length N> <N bytes: file name, UTF-8>
//	FILES PUT\n <8-byte LE length N> <N bytes: file name> <8-byte LE length M> <M bytes>
//
// The answer is framed as ever (8-byte LE length, then that many bytes);
// its first byte is 'O' for success or 'E' for an error, followed by the
// listing (one "name\tsize\tmodified" line per file), the file's bytes, or
// the error text. No encoding name starts with "FILES ", so the line
// cannot be mistaken for one.

// filesPrefix starts the files line.
const filesPrefix = "FILES "

// Files operations.
const (
	FilesList = "LS"
	FilesGet  = "GET"
	FilesPut  = "PUT"
)

// Answer status bytes of a files request.
const (
	FilesOK    = 'O'
	FilesError = 'E'
)

// maxFileName bounds the name of a files request (the server accepts
// less: see core.Workspace).
const maxFileName = 255

// FilesRequest is a decoded files request; a PUT's data is still unread.
type FilesRequest struct {
	Op   string
	Name string
}

// readFilesRequest reads what follows a files line, up to a PUT's data.
func readFilesRequest(br *bufio.Reader, line []byte) (*FilesRequest, error) {
	op := string(line[len(filesPrefix):])
	switch op {
	case FilesList:
		return &FilesRequest{Op: op}, nil
	case FilesGet, FilesPut:
	default:
		return nil, protoErr(nil, "unknown files operation %q (LS, GET or PUT)", op)
	}
	n, err := readLength(br, "file name")
	if err != nil {
		return nil, err
	}
	if n == 0 || n > maxFileName {
		return nil, protoErr(nil, "file name of %d bytes (1 to %d)", n, maxFileName)
	}
	name, err := readN(br, int64(n))
	if err != nil {
		return nil, eofOr(err, "inside the file name")
	}
	if !utf8.Valid(name) || bytes.ContainsAny(name, "/\x00\n") {
		return nil, protoErr(nil, "file name is not a plain file name (UTF-8, no '/')")
	}
	return &FilesRequest{Op: op, Name: string(name)}, nil
}

// readLength reads an 8-byte little-endian length.
func readLength(r io.Reader, what string) (uint64, error) {
	var hdr [8]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, eofOr(err, fmt.Sprintf("after %d of 8 length bytes of the %s", n, what))
	}
	return binary.LittleEndian.Uint64(hdr[:]), nil
}

// ReadPutLength reads the data length of a PUT (server side), refusing one
// above max before anything of the data is read.
func ReadPutLength(r io.Reader, max int64) (int64, error) {
	n, err := readLength(r, "file data")
	if err != nil {
		return 0, err
	}
	if n > uint64(max) {
		return 0, protoErr(nil, "an upload of %d bytes exceeds the data limit of %d bytes", n, max)
	}
	return int64(n), nil
}

// WriteFilesRequest writes a files request up to a PUT's data (client
// side); for PUT the caller then writes the 8-byte length and the data
// (WritePutData).
func WriteFilesRequest(w io.Writer, auth *Credentials, op, name string) error {
	var buf bytes.Buffer
	if auth != nil {
		if auth.User == "" || strings.ContainsAny(auth.User, ":\r\n") {
			return errors.New("framed protocol: user name must be non-empty and contain no ':' or line breaks")
		}
		plain := append(append([]byte(auth.User), ':'), auth.Password...)
		buf.WriteString(authPrefix + base64.StdEncoding.EncodeToString(plain) + "\n")
		clear(plain)
	}
	buf.WriteString(filesPrefix + op + "\n")
	if op != FilesList {
		if name == "" || len(name) > maxFileName {
			return fmt.Errorf("framed protocol: file name of %d bytes (1 to %d)", len(name), maxFileName)
		}
		var hdr [8]byte
		binary.LittleEndian.PutUint64(hdr[:], uint64(len(name)))
		buf.Write(hdr[:])
		buf.WriteString(name)
	}
	_, err := w.Write(buf.Bytes())
	clear(buf.Bytes())
	if err != nil {
		return fmt.Errorf("framed protocol: sending files request: %w", err)
	}
	return nil
}

// WritePutData sends a PUT's length and data from r (client side).
func WritePutData(w io.Writer, r io.Reader, size int64) error {
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(size))
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("framed protocol: sending upload: %w", err)
	}
	if _, err := io.CopyN(w, r, size); err != nil {
		return fmt.Errorf("framed protocol: sending upload: %w", err)
	}
	return nil
}

// ReadFilesAnswer reads a files answer's length and status (client side)
// and returns a reader of its body (limited to the body's length).
func ReadFilesAnswer(r io.Reader, max int64) (ok bool, body io.Reader, size int64, err error) {
	n, err := readLength(r, "answer")
	if err != nil {
		return false, nil, 0, err
	}
	if n == 0 || n > uint64(max)+1 {
		return false, nil, 0, fmt.Errorf("framed protocol: answer of %d bytes (at most %d accepted)", n, max)
	}
	var st [1]byte
	if _, err := io.ReadFull(r, st[:]); err != nil {
		return false, nil, 0, fmt.Errorf("framed protocol: reading answer: %w", err)
	}
	switch st[0] {
	case FilesOK, FilesError:
	default:
		return false, nil, 0, fmt.Errorf("framed protocol: answer status %q is neither O nor E", st[0])
	}
	return st[0] == FilesOK, io.LimitReader(r, int64(n)-1), int64(n) - 1, nil
}

// writeFilesAnswer writes a files answer of size bytes from body.
func writeFilesAnswer(w io.Writer, status byte, body io.Reader, size int64) error {
	var hdr [9]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(size+1))
	hdr[8] = status
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := io.CopyN(w, body, size)
	return err
}
