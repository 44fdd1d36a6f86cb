package auth

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The tokens file lists API tokens, one per line:
//
//	ID USER CREATED EXPIRES REVOKED SHA256
//
// separated by single spaces: ID is 16 lowercase hex digits, USER a user
// name, CREATED, EXPIRES and REVOKED RFC 3339 times in UTC (REVOKED is "-"
// while the token is valid), SHA256 the hex SHA-256 of the whole token.
// The token itself is never stored. Lines starting with '#' and blank
// lines are comments, kept by rewrites. Parsing is strict: any other
// shape makes the whole file invalid, and a server that cannot parse it
// accepts no token at all (a revocation must never be lost to a typo).

// Bounds on the tokens file, checked before allocating.
const (
	maxTokensFileSize = 8 << 20
	maxTokensFileLine = 512
)

// TokensFileName is the tokens file's name, in the users file's directory.
const TokensFileName = "tokens.txt"

// TokensFileFor is the tokens file that goes with a users file: tokens.txt
// in the same directory.
func TokensFileFor(usersFile string) string {
	return filepath.Join(filepath.Dir(usersFile), TokensFileName)
}

var (
	tokenIDRE   = regexp.MustCompile(`^[0-9a-f]{16}$`)
	tokenHashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// TokenInfo describes one API token, never holding the token itself.
type TokenInfo struct {
	ID      string
	User    string
	Created time.Time
	Expires time.Time
	Revoked time.Time // zero while not revoked
}

// State says whether the token is usable at now: "valid", "expired" or
// "revoked".
func (t TokenInfo) State(now time.Time) string {
	switch {
	case !t.Revoked.IsZero():
		return "revoked"
	case !now.Before(t.Expires):
		return "expired"
	}
	return "valid"
}

type tokenLine struct {
	raw  string // comment or blank line, verbatim
	info TokenInfo
	hash [32]byte
	ok   bool // a token line (not a comment)
}

type tokensFile struct {
	lines []tokenLine
	index map[string]int // id -> position in lines
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("invalid time (want RFC 3339 in UTC)")
	}
	return t, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseTokensFile parses a tokens file; errors are "name:line: cause" and
// never quote a field (a token pasted into the file must not reach a log).
func parseTokensFile(name string, data []byte) (*tokensFile, error) {
	if len(data) > maxTokensFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxTokensFileSize)
	}
	f := &tokensFile{index: make(map[string]int)}
	if len(data) == 0 {
		return f, nil
	}
	if data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("%s: the last line has no newline (file cut short?)", name)
	}
	for i, line := range strings.Split(string(data[:len(data)-1]), "\n") {
		n := i + 1
		if len(line) > maxTokensFileLine {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, n, maxTokensFileLine)
		}
		if line == "" || line[0] == '#' {
			f.lines = append(f.lines, tokenLine{raw: line})
			continue
		}
		fields := strings.Split(line, " ")
		if len(fields) != 6 {
			return nil, fmt.Errorf("%s:%d: expected 6 fields separated by single spaces, found %d", name, n, len(fields))
		}
		var l tokenLine
		l.ok = true
		if !tokenIDRE.MatchString(fields[0]) {
			return nil, fmt.Errorf("%s:%d: invalid token id", name, n)
		}
		l.info.ID = fields[0]
		if !ValidUserName(fields[1]) {
			return nil, fmt.Errorf("%s:%d: invalid user name", name, n)
		}
		l.info.User = fields[1]
		var err error
		if l.info.Created, err = parseTime(fields[2]); err != nil {
			return nil, fmt.Errorf("%s:%d: created: %w", name, n, err)
		}
		if l.info.Expires, err = parseTime(fields[3]); err != nil {
			return nil, fmt.Errorf("%s:%d: expires: %w", name, n, err)
		}
		if !l.info.Expires.After(l.info.Created) {
			return nil, fmt.Errorf("%s:%d: expires before it was created", name, n)
		}
		if fields[4] != "-" {
			if l.info.Revoked, err = parseTime(fields[4]); err != nil {
				return nil, fmt.Errorf("%s:%d: revoked: %w", name, n, err)
			}
		}
		if !tokenHashRE.MatchString(fields[5]) {
			return nil, fmt.Errorf("%s:%d: invalid SHA-256 (64 lowercase hex digits)", name, n)
		}
		if _, err := hex.Decode(l.hash[:], []byte(fields[5])); err != nil {
			return nil, fmt.Errorf("%s:%d: invalid SHA-256", name, n)
		}
		if prev, dup := f.index[l.info.ID]; dup {
			return nil, fmt.Errorf("%s:%d: token id already used on line %d", name, n, prev+1)
		}
		f.index[l.info.ID] = len(f.lines)
		f.lines = append(f.lines, l)
	}
	return f, nil
}

// bytes serializes f, every line ending in "\n".
func (f *tokensFile) bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		if !l.ok {
			b.WriteString(l.raw)
			b.WriteByte('\n')
			continue
		}
		revoked := "-"
		if !l.info.Revoked.IsZero() {
			revoked = formatTime(l.info.Revoked)
		}
		fmt.Fprintf(&b, "%s %s %s %s %s %s\n", l.info.ID, l.info.User, formatTime(l.info.Created),
			formatTime(l.info.Expires), revoked, hex.EncodeToString(l.hash[:]))
	}
	return b.Bytes()
}

// tokens lists the token lines' infos in file order.
func (f *tokensFile) tokens() []TokenInfo {
	out := make([]TokenInfo, 0, len(f.index))
	for _, l := range f.lines {
		if l.ok {
			out = append(out, l.info)
		}
	}
	return out
}

// readTokensFile reads and parses the tokens file at path; a missing file
// is an error wrapping os.ErrNotExist.
func readTokensFile(path string) (*tokensFile, os.FileInfo, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading tokens file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("reading tokens file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("reading tokens file %s: not a regular file", path)
	}
	if st.Size() > maxTokensFileSize {
		return nil, nil, fmt.Errorf("reading tokens file %s: larger than %d bytes", path, maxTokensFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxTokensFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading tokens file: %w", err)
	}
	f, err := parseTokensFile(path, data)
	return f, st, err
}
