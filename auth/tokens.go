package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// API tokens are 256 random bits with a public 64-bit id in front:
// "rwt_" + 16 hex digits + "_" + 43 base64url characters. The id finds the
// token's line (and names it in the audit trail and `rwarden token list`);
// the file keeps only the SHA-256 of the whole token. A fast hash is enough
// here, unlike for passwords: 256 random bits cannot be guessed from their
// hash, so there is nothing for argon2id's cost to protect.

const (
	tokenPrefix    = "rwt_"
	tokenSecretLen = 43 // base64url of 32 bytes, unpadded
	tokenLen       = len(tokenPrefix) + 16 + 1 + tokenSecretLen

	// MaxTokenLifetime is the longest expiry `rwarden token create` accepts.
	MaxTokenLifetime = 366 * 24 * time.Hour
)

// Token errors: the reasons a token is refused, for the audit trail. The
// client is told only that the token was not accepted.
var (
	ErrMalformedToken = errors.New("malformed API token")
	ErrUnknownToken   = errors.New("unknown API token")
	ErrTokenExpired   = errors.New("API token expired")
	ErrTokenRevoked   = errors.New("API token revoked")
	ErrTokensFile     = errors.New("tokens file unusable; refusing all API tokens")
	ErrUnknownTokenID = errors.New("no such token id")
)

// LooksLikeAPIToken reports whether s has the shape of an rwarden API
// token (as opposed to, say, an OIDC JWT).
func LooksLikeAPIToken(s string) bool { return strings.HasPrefix(s, tokenPrefix) }

// splitToken returns the id of a well-formed token.
func splitToken(tok string) (string, bool) {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, tokenPrefix) || tok[len(tokenPrefix)+16] != '_' {
		return "", false
	}
	id := tok[len(tokenPrefix) : len(tokenPrefix)+16]
	if !tokenIDRE.MatchString(id) {
		return "", false
	}
	for _, c := range tok[len(tok)-tokenSecretLen:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return id, true
}

// newToken makes a fresh token and its id.
func newToken() (tok, id string, err error) {
	var idb [8]byte
	var sec [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", "", fmt.Errorf("generating token: %w", err)
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return "", "", fmt.Errorf("generating token: %w", err)
	}
	id = hex.EncodeToString(idb[:])
	return tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(sec[:]), id, nil
}

// editTokensFile applies edit to the tokens file under the directory lock
// and replaces the file atomically; a missing file starts empty.
func editTokensFile(path string, edit func(*tokensFile) error) error {
	dir, err := lockDir(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("editing tokens file %s: %w", path, err)
	}
	defer dir.unlock()
	f, _, err := readTokensFile(path)
	switch {
	case err == nil:
	case errIsNotExist(err):
		f = &tokensFile{index: make(map[string]int)}
	default:
		return fmt.Errorf("editing tokens file: %w", err)
	}
	if err := edit(f); err != nil {
		return err
	}
	if err := writeFileAtomic(dir, path, f.bytes()); err != nil {
		return fmt.Errorf("editing tokens file: %w", err)
	}
	return nil
}

// CreateToken adds a token for user valid for ttl from now, and returns the
// token: the only time it exists outside the client that receives it.
func CreateToken(path, user string, ttl time.Duration, now time.Time) (string, TokenInfo, error) {
	if !ValidUserName(user) {
		return "", TokenInfo{}, ErrInvalidName
	}
	if ttl <= 0 || ttl > MaxTokenLifetime {
		return "", TokenInfo{}, fmt.Errorf("token lifetime must be positive and at most %v", MaxTokenLifetime)
	}
	tok, id, err := newToken()
	if err != nil {
		return "", TokenInfo{}, err
	}
	now = now.UTC().Truncate(time.Second)
	info := TokenInfo{ID: id, User: user, Created: now, Expires: now.Add(ttl)}
	err = editTokensFile(path, func(f *tokensFile) error {
		if _, dup := f.index[id]; dup {
			return errors.New("token id collision; try again")
		}
		f.index[id] = len(f.lines)
		f.lines = append(f.lines, tokenLine{ok: true, info: info, hash: sha256.Sum256([]byte(tok))})
		return nil
	})
	if err != nil {
		return "", TokenInfo{}, err
	}
	return tok, info, nil
}

// ListTokens lists the tokens file's tokens in file order (none when the
// file does not exist).
func ListTokens(path string) ([]TokenInfo, error) {
	f, _, err := readTokensFile(path)
	if errIsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return f.tokens(), nil
}

// RevokeToken marks the token id revoked at now. The line stays, so that
// a later use is refused as revoked (and audited so) rather than unknown.
func RevokeToken(path, id string, now time.Time) (TokenInfo, error) {
	var info TokenInfo
	err := editTokensFile(path, func(f *tokensFile) error {
		i, ok := f.index[id]
		if !ok {
			return ErrUnknownTokenID
		}
		if f.lines[i].info.Revoked.IsZero() {
			f.lines[i].info.Revoked = now.UTC().Truncate(time.Second)
		}
		info = f.lines[i].info
		return nil
	})
	return info, err
}

// TokenReload reports a change of the tokens file seen by Tokens: the
// tokens that appeared, were revoked or disappeared, or the error that
// makes the file unusable (then every token is refused until it is fixed).
type TokenReload struct {
	Added, Revoked, Removed []TokenInfo
	Err                     error
}

// Tokens is the server's view of the tokens file. Every Verify stats the
// file (cheap) and re-reads it when it changed, so a token created or
// revoked by the CLI takes effect on the next request. Safe for
// concurrent use.
type Tokens struct {
	path     string
	log      *slog.Logger
	onReload func(TokenReload)

	mu    sync.Mutex
	file  *tokensFile // nil while the file is unusable
	err   error
	stamp fileStamp
}

// fileStamp identifies one version of a file: an atomic replacement
// changes the inode, an in-place edit the size or change time.
type fileStamp struct {
	exists     bool
	dev, ino   uint64
	size       int64
	ctim, mtim syscall.Timespec
}

func statStamp(path string) (fileStamp, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return fileStamp{}, nil
		}
		return fileStamp{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return fileStamp{exists: true, dev: uint64(st.Dev), ino: st.Ino, size: st.Size, ctim: st.Ctim, mtim: st.Mtim}, nil
}

// OpenTokens loads the tokens file at path. A missing file means no
// tokens (until one is created); a malformed one is an error, as for the
// users file. onReload (may be nil) is told of every later change.
func OpenTokens(path string, log *slog.Logger, onReload func(TokenReload)) (*Tokens, error) {
	if log == nil {
		log = slog.Default()
	}
	t := &Tokens{path: path, log: log, onReload: onReload}
	if _, err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

// load reads the file if its stamp changed and returns what changed; the
// caller holds t.mu (or is OpenTokens).
func (t *Tokens) load() (*TokenReload, error) {
	st, err := statStamp(t.path)
	if err == nil && st == t.stamp && (t.file != nil || t.err != nil) {
		return nil, t.err
	}
	var f *tokensFile
	if err == nil {
		t.stamp = st
		if !st.exists {
			f = &tokensFile{index: make(map[string]int)}
		} else {
			f, _, err = readTokensFile(t.path)
			if errIsNotExist(err) {
				f, err = &tokensFile{index: make(map[string]int)}, nil
			}
		}
	}
	if err != nil {
		// Fail closed: a file that cannot be read might hold a revocation.
		err = fmt.Errorf("%w: %w", ErrTokensFile, err)
		if t.file == nil && t.err != nil && t.err.Error() == err.Error() {
			return nil, t.err // the same failure again: reported once
		}
		t.file, t.err = nil, err
		t.log.Error("tokens file unusable: refusing all API tokens", "file", t.path, "err", err)
		return &TokenReload{Err: t.err}, t.err
	}
	rel := diffTokens(t.file, f)
	t.file, t.err = f, nil
	return rel, nil
}

func diffTokens(old, cur *tokensFile) *TokenReload {
	rel := &TokenReload{}
	var before map[string]TokenInfo
	if old != nil {
		before = make(map[string]TokenInfo, len(old.index))
		for _, ti := range old.tokens() {
			before[ti.ID] = ti
		}
	}
	for _, ti := range cur.tokens() {
		prev, had := before[ti.ID]
		switch {
		case !had:
			rel.Added = append(rel.Added, ti)
		case prev.Revoked.IsZero() && !ti.Revoked.IsZero():
			rel.Revoked = append(rel.Revoked, ti)
		}
		delete(before, ti.ID)
	}
	for _, ti := range old.tokensOrNil() {
		if _, gone := before[ti.ID]; gone {
			rel.Removed = append(rel.Removed, ti)
		}
	}
	return rel
}

func (f *tokensFile) tokensOrNil() []TokenInfo {
	if f == nil {
		return nil
	}
	return f.tokens()
}

// Refresh re-reads the file if it changed (reporting the change to
// onReload). Verify does this itself; a server calls it periodically as
// well, so that a change is recorded when it happens, not at the next use.
func (t *Tokens) Refresh() error {
	_, err := t.refresh()
	return err
}

// refresh reloads the file if it changed and reports the change.
func (t *Tokens) refresh() (*tokensFile, error) {
	t.mu.Lock()
	rel, err := t.load()
	f := t.file
	t.mu.Unlock()
	if rel != nil && t.onReload != nil && (rel.Err != nil || len(rel.Added)+len(rel.Revoked)+len(rel.Removed) > 0) {
		t.onReload(*rel)
	}
	return f, err
}

// Verify checks an API token at now and returns its token's description.
// On failure the error is one of the Err*Token errors (or ErrTokensFile),
// and the TokenInfo still names the token's id and user when the id is
// known, for the audit trail. The secret is compared in constant time.
func (t *Tokens) Verify(tok string, now time.Time) (TokenInfo, error) {
	f, err := t.refresh()
	if err != nil {
		return TokenInfo{}, err
	}
	id, ok := splitToken(tok)
	if !ok {
		return TokenInfo{}, ErrMalformedToken
	}
	sum := sha256.Sum256([]byte(tok))
	i, ok := f.index[id]
	if !ok {
		return TokenInfo{ID: id}, ErrUnknownToken
	}
	l := f.lines[i]
	if subtle.ConstantTimeCompare(sum[:], l.hash[:]) != 1 {
		return TokenInfo{ID: id}, ErrUnknownToken
	}
	switch l.info.State(now) {
	case "revoked":
		return l.info, ErrTokenRevoked
	case "expired":
		return l.info, ErrTokenExpired
	}
	return l.info, nil
}
