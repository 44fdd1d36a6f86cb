package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Bounds on the users file, checked before allocating: the file is read by
// the server at start-up and on every reload.
const (
	maxUsersFileSize = 16 << 20
	maxUsersFileLine = 4096
)

// usersLine is one line of the users file. Comment and blank lines keep their
// text verbatim so that a rewrite by the CLI preserves them.
type usersLine struct {
	raw  string // the line as read (comments, blank lines); unused for users
	user string // "" for comment and blank lines
	hash phcHash
}

// usersFile is a parsed users file in its original line order.
type usersFile struct {
	lines []usersLine
	index map[string]int // user -> position in lines
}

// parseUsersFile parses a users file. name is used only in error messages,
// which have the form "name:line: cause" and never contain a hash or a
// rejected user name (which could be a password pasted in the wrong place).
func parseUsersFile(name string, data []byte) (*usersFile, error) {
	if len(data) > maxUsersFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxUsersFileSize)
	}
	f := &usersFile{index: make(map[string]int)}
	if len(data) == 0 {
		return f, nil
	}
	// A final newline terminates the last line rather than starting an
	// empty one.
	text := strings.TrimSuffix(string(data), "\n")
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		if len(line) > maxUsersFileLine {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, lineNo, maxUsersFileLine)
		}
		trimmed := strings.TrimLeft(line, " \t")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(trimmed, "#") {
			f.lines = append(f.lines, usersLine{raw: line})
			continue
		}
		if strings.HasSuffix(line, "\r") {
			return nil, fmt.Errorf("%s:%d: line ends in CR; convert the file to Unix line endings", name, lineNo)
		}
		user, phc, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected NAME:PHC, found no ':'", name, lineNo)
		}
		if !ValidUserName(user) {
			return nil, fmt.Errorf("%s:%d: invalid user name (allowed: %s)", name, lineNo, userNameRE)
		}
		if prev, dup := f.index[user]; dup {
			return nil, fmt.Errorf("%s:%d: user %q already defined on line %d", name, lineNo, user, prev+1)
		}
		h, err := parsePHC(phc)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: user %q: %w", name, lineNo, user, err)
		}
		f.index[user] = len(f.lines)
		f.lines = append(f.lines, usersLine{user: user, hash: h})
	}
	return f, nil
}

// readUsersFile reads and parses the users file at path. A missing file is
// reported with an error wrapping os.ErrNotExist.
func readUsersFile(path string) (*usersFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading users file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading users file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("reading users file %s: not a regular file", path)
	}
	if st.Size() > maxUsersFileSize {
		return nil, fmt.Errorf("reading users file %s: larger than %d bytes", path, maxUsersFileSize)
	}
	// The size can change between Stat and read; the limit still holds.
	data, err := io.ReadAll(io.LimitReader(fh, maxUsersFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading users file: %w", err)
	}
	return parseUsersFile(path, data)
}

// bytes serializes f: every line followed by "\n".
func (f *usersFile) bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		if l.user == "" {
			b.WriteString(l.raw)
		} else {
			b.WriteString(l.user)
			b.WriteByte(':')
			b.WriteString(l.hash.String())
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// users returns the user names, sorted.
func (f *usersFile) users() []string {
	out := make([]string, 0, len(f.index))
	for u := range f.index {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// set replaces user's hash, or appends a new line for a new user.
func (f *usersFile) set(user string, h phcHash) {
	if i, ok := f.index[user]; ok {
		f.lines[i].hash = h
		return
	}
	f.index[user] = len(f.lines)
	f.lines = append(f.lines, usersLine{user: user, hash: h})
}

// remove deletes user's line; comments around it stay.
func (f *usersFile) remove(user string) bool {
	i, ok := f.index[user]
	if !ok {
		return false
	}
	f.lines = append(f.lines[:i], f.lines[i+1:]...)
	delete(f.index, user)
	for u, j := range f.index {
		if j > i {
			f.index[u] = j - 1
		}
	}
	return true
}

// errIsNotExist reports whether err says a file is missing.
func errIsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
