package auth

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// derivation records one argon2 computation.
type derivation struct {
	time, memory uint32
	threads      uint8
	saltLen      int
	keyLen       uint32
}

// recordDerivations wraps s's argon2 so the test sees every computation.
func recordDerivations(s *Store) *[]derivation {
	var mu sync.Mutex
	var got []derivation
	real := s.derive
	s.derive = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		mu.Lock()
		got = append(got, derivation{time, memory, threads, len(salt), keyLen})
		mu.Unlock()
		return real(pw, salt, time, memory, threads, keyLen)
	}
	return &got
}

func TestStoreVerify(t *testing.T) {
	path := writeUsers(t, "# users\nalice:"+hashFor(t, "alice-pw")+"\nbob:"+hashFor(t, "bob-pw")+"\n")
	s, err := OpenStore(path)
	require.NoError(t, err)
	tests := []struct {
		name, user, password string
		want                 error
	}{
		{"alice right", "alice", "alice-pw", nil},
		{"bob right", "bob", "bob-pw", nil},
		{"alice wrong", "alice", "bob-pw", ErrBadCredentials},
		{"alice empty", "alice", "", ErrBadCredentials},
		{"unknown user", "carol", "alice-pw", ErrBadCredentials},
		{"invalid name", "../alice", "alice-pw", ErrBadCredentials},
		{"empty name", "", "", ErrBadCredentials},
		{"password prefix", "alice", "alice-p", ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Verify(t.Context(), tt.user, []byte(tt.password))
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
	assert.True(t, s.Has("alice"))
	assert.False(t, s.Has("carol"))
	assert.Equal(t, []string{"alice", "bob"}, s.Users())
}

// TestVerifyCostParity: an unknown user, an invalid name and a wrong
// password each run exactly one argon2 computation with the same parameters
// (those most users have), so they cannot be told apart by cost.
func TestVerifyCostParity(t *testing.T) {
	odd := Params{MemoryKiB: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	oddHash, err := HashPassword([]byte("x"), odd)
	require.NoError(t, err)
	path := writeUsers(t, "alice:"+hashFor(t, "a")+"\nbob:"+hashFor(t, "b")+"\nodd:"+oddHash+"\n")
	s, err := OpenStore(path)
	require.NoError(t, err)
	got := recordDerivations(s)

	want := derivation{fastParams.Time, fastParams.MemoryKiB, fastParams.Threads, int(fastParams.SaltLen), fastParams.KeyLen}
	cases := []struct{ user, password string }{
		{"alice", "wrong"},
		{"nosuchuser", "wrong"},
		{"Not A Name", "wrong"},
		{"alice", "a"},
	}
	for _, c := range cases {
		*got = nil
		_ = s.Verify(t.Context(), c.user, []byte(c.password))
		require.Len(t, *got, 1, "user %q: exactly one argon2 run", c.user)
		assert.Equal(t, want, (*got)[0], "user %q: same parameters", c.user)
	}
}

func TestDummyDefaultsForEmptyFile(t *testing.T) {
	s, err := OpenStore(writeUsers(t, "# nobody yet\n"))
	require.NoError(t, err)
	got := recordDerivations(s)
	require.ErrorIs(t, s.Verify(t.Context(), "alice", []byte("pw")), ErrBadCredentials)
	d := DefaultParams()
	require.Len(t, *got, 1)
	assert.Equal(t, derivation{d.Time, d.MemoryKiB, d.Threads, int(d.SaltLen), d.KeyLen}, (*got)[0])
}

func TestStoreReload(t *testing.T) {
	path := writeUsers(t, "alice:"+hashFor(t, "a")+"\n")
	s, err := OpenStore(path)
	require.NoError(t, err)
	require.NoError(t, AddUser(path, "bob", []byte("b"), fastParams))
	assert.False(t, s.Has("bob"), "not before reload")
	require.NoError(t, s.Reload())
	assert.True(t, s.Has("bob"))
	assert.NoError(t, s.Verify(t.Context(), "bob", []byte("b")))

	// A broken file is refused and the old users stay in force.
	require.NoError(t, os.WriteFile(path, []byte("alice:"+hashFor(t, "a")+"\ngarbage\n"), 0o600))
	err = s.Reload()
	require.ErrorContains(t, err, ":2:")
	assert.Equal(t, []string{"alice", "bob"}, s.Users())

	require.NoError(t, os.Remove(path))
	require.ErrorIs(t, s.Reload(), os.ErrNotExist)
	assert.True(t, s.Has("bob"))
}

func TestOpenStoreErrors(t *testing.T) {
	_, err := OpenStore(writeUsers(t, "alice:nope\n"))
	require.ErrorContains(t, err, "users.txt:1:")
	_, err = OpenStore(t.TempDir() + "/missing")
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = OpenStore(t.TempDir())
	require.ErrorContains(t, err, "not a regular file")
}

// TestVerifyConcurrencyBound holds every argon2 slot and checks that
// further calls wait (and honour ctx), that the waiting queue is bounded
// with ErrRateLimited, and that no more than MaxConcurrent run at once.
func TestVerifyConcurrencyBound(t *testing.T) {
	path := writeUsers(t, "alice:"+hashFor(t, "a")+"\n")
	s, err := OpenStoreWithOptions(path, StoreOptions{MaxConcurrent: 2, MaxWaiting: 3})
	require.NoError(t, err)

	release := make(chan struct{})
	var running, peak atomic.Int32
	started := make(chan struct{}, 16)
	real := s.derive
	s.derive = func(pw, salt []byte, tm, mem uint32, th uint8, kl uint32) []byte {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		defer running.Add(-1)
		return real(pw, salt, tm, mem, th, kl)
	}

	results := make(chan error, 16)
	verify := func(ctx context.Context) { results <- s.Verify(ctx, "alice", []byte("a")) }
	go verify(t.Context())
	go verify(t.Context())
	<-started
	<-started // both slots busy

	// A waiter whose context ends gives up with the context's error.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err = s.Verify(ctx, "alice", []byte("a"))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Fill the waiting queue (3), then one more is refused at once.
	for range 3 {
		go verify(t.Context())
	}
	require.Eventually(t, func() bool { return s.waiting.Load() == 3 }, 5*time.Second, time.Millisecond)
	assert.ErrorIs(t, s.Verify(t.Context(), "alice", []byte("a")), ErrRateLimited)

	close(release)
	for range 5 {
		assert.NoError(t, <-results)
	}
	assert.Equal(t, int32(2), peak.Load(), "never more than MaxConcurrent argon2 at once")
	assert.Zero(t, s.waiting.Load())
}

func BenchmarkVerifyDefaultParams(b *testing.B) {
	path := b.TempDir() + "/users.txt"
	require.NoError(b, AddUser(path, "alice", []byte("pw"), DefaultParams()))
	s, err := OpenStore(path)
	require.NoError(b, err)
	for _, user := range []string{"alice", "unknown"} {
		b.Run(user, func(b *testing.B) {
			for b.Loop() {
				_ = s.Verify(b.Context(), user, []byte("wrong"))
			}
		})
	}
}

// TestStoreWarnsOnLooseMode: a users file others can read is loaded but
// logged, and the log line carries no hash.
func TestStoreWarnsOnLooseMode(t *testing.T) {
	phc := hashFor(t, "a")
	path := writeUsers(t, "alice:"+phc+"\n")
	tests := []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o640, true}, {0o644, true}}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			require.NoError(t, os.Chmod(path, tt.mode))
			var buf bytes.Buffer
			_, err := OpenStoreWithOptions(path, StoreOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			require.NoError(t, err)
			assert.Equal(t, tt.warn, strings.Contains(buf.String(), "chmod 600"), buf.String())
			assert.NotContains(t, buf.String(), phc[30:])
		})
	}
}
