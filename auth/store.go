package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

var (
	// ErrBadCredentials is the only answer to a failed login, whether the
	// user is unknown or the password wrong, so the two cannot be told apart.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrRateLimited means the attempt was not evaluated: too many logins are
	// already waiting for an argon2 slot, or (from the proxy, via Limiter)
	// too many recent failures.
	ErrRateLimited = errors.New("too many login attempts; try again later")
)

// StoreOptions tune a Store; the zero value gives the defaults.
type StoreOptions struct {
	// MaxConcurrent is how many argon2 computations may run at once.
	// Default: GOMAXPROCS, between 1 and 8. With the default parameters each
	// holds 19 MiB, and the caps bound any stored hash to 256 MiB.
	MaxConcurrent int
	// MaxWaiting is how many Verify calls may wait for a slot before further
	// ones fail fast with ErrRateLimited. Default: 64 per slot.
	MaxWaiting int
	// Logger receives load warnings (never hashes). Default: slog.Default().
	Logger *slog.Logger
}

// Store is the loaded users file. It is safe for concurrent use; Reload
// swaps in a newly read file atomically and keeps the old one on error.
type Store struct {
	path   string
	log    *slog.Logger
	derive deriveFunc // argon2.IDKey; tests wrap it to count calls

	sem     chan struct{} // one token per running argon2 computation
	waiting atomic.Int64
	maxWait int64

	mu    sync.RWMutex
	users map[string]phcHash
	dummy phcHash // verified against for unknown users
}

// OpenStore loads the users file at path with default options.
func OpenStore(path string) (*Store, error) {
	return OpenStoreWithOptions(path, StoreOptions{})
}

// OpenStoreWithOptions loads the users file at path. Any malformed line
// makes it fail with "path:line: cause".
func OpenStoreWithOptions(path string, o StoreOptions) (*Store, error) {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = min(max(runtime.GOMAXPROCS(0), 1), 8)
	}
	if o.MaxWaiting <= 0 {
		o.MaxWaiting = 64 * o.MaxConcurrent
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Store{
		path:    path,
		log:     o.Logger,
		derive:  argon2.IDKey,
		sem:     make(chan struct{}, o.MaxConcurrent),
		maxWait: int64(o.MaxWaiting),
	}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads the users file. On error the previous users stay in force.
func (s *Store) Reload() error {
	f, err := readUsersFile(s.path)
	if err != nil {
		return fmt.Errorf("loading users: %w", err)
	}
	if st, err := os.Stat(s.path); err == nil && st.Mode().Perm()&0o077 != 0 {
		// Hashes are slow to crack, not impossible: other local users
		// should not be able to take them offline.
		s.log.Warn("users file is readable or writable by others; chmod 600 it",
			"path", s.path, "mode", st.Mode().Perm().String())
	}
	users := make(map[string]phcHash, len(f.index))
	for u, i := range f.index {
		users[u] = f.lines[i].hash
	}
	dummy, err := dummyHash(users)
	if err != nil {
		return fmt.Errorf("loading users: %w", err)
	}
	s.mu.Lock()
	s.users, s.dummy = users, dummy
	s.mu.Unlock()
	return nil
}

// dummyHash builds the hash an unknown user is checked against. It uses the
// parameters most users have (DefaultParams for an empty file), so an
// unknown name costs what a typical wrong password costs; its key is random,
// so no password matches it.
func dummyHash(users map[string]phcHash) (phcHash, error) {
	count := make(map[Params]int)
	best, bestN := DefaultParams(), 0
	for _, h := range users {
		count[h.params]++
	}
	for p, n := range count {
		// Ties break on memory then time so the choice is deterministic.
		if n > bestN || (n == bestN && (p.MemoryKiB > best.MemoryKiB ||
			(p.MemoryKiB == best.MemoryKiB && p.Time > best.Time))) {
			best, bestN = p, n
		}
	}
	h := phcHash{params: best, salt: make([]byte, best.SaltLen), key: make([]byte, best.KeyLen)}
	if _, err := rand.Read(h.salt); err != nil {
		return h, fmt.Errorf("making dummy hash: %w", err)
	}
	if _, err := rand.Read(h.key); err != nil {
		return h, fmt.Errorf("making dummy hash: %w", err)
	}
	return h, nil
}

// Verify checks user's password. It returns nil on success and
// ErrBadCredentials for an unknown user, an invalid name or a wrong password
// alike, after the same argon2 work in every case. It waits for one of a
// bounded number of argon2 slots (returning ctx's error if ctx ends first)
// and fails fast with ErrRateLimited when too many calls are already
// waiting, so a login flood queues instead of exhausting memory.
func (s *Store) Verify(ctx context.Context, user string, password []byte) error {
	if len(password) > MaxPasswordLen {
		// Nothing about the user is learnt from this, so no need to spend
		// argon2 on it.
		return ErrBadCredentials
	}
	s.mu.RLock()
	h, known := s.users[user]
	if !known {
		h = s.dummy
	}
	s.mu.RUnlock()

	if err := s.acquire(ctx); err != nil {
		return err
	}
	ok := h.matches(s.derive, password)
	<-s.sem
	if !known || !ok {
		return ErrBadCredentials
	}
	return nil
}

// acquire takes an argon2 slot, bounded by ctx and by the waiting limit.
func (s *Store) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	default:
	}
	if s.waiting.Add(1) > s.maxWait {
		s.waiting.Add(-1)
		return ErrRateLimited
	}
	defer s.waiting.Add(-1)
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to verify password: %w", ctx.Err())
	}
}

// Has reports whether user is in the users file. The proxy calls it for
// names from certificates and peer credentials: a name that is not an
// rwarden user must be refused.
func (s *Store) Has(user string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.users[user]
	return ok
}

// Users returns the sorted user names.
func (s *Store) Users() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.users))
	for u := range s.users {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
