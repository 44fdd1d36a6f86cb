package core

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
)

// storeDirs lays out a store directory as proxy/store writes it: vN
// directories holding users.txt, tokens.txt and policies/, and "current"
// pointing at one; point is what the store node hands ApplyStoreVersion.
type storeDirs struct{ dir string }

func (s storeDirs) v(n int64) string { return filepath.Join(s.dir, "v"+strconv.FormatInt(n, 10)) }

func (s storeDirs) point(n int64) error {
	tmp := filepath.Join(s.dir, "current.tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink("v"+strconv.FormatInt(n, 10), tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir, "current"))
}

func (s storeDirs) current(t *testing.T) string {
	t.Helper()
	l, err := os.Readlink(filepath.Join(s.dir, "current"))
	require.NoError(t, err)
	return l
}

// copyVersion makes version to a copy of version from, for editing.
func (s storeDirs) copyVersion(t *testing.T, from, to int64) string {
	t.Helper()
	require.NoError(t, exec.Command("cp", "-a", s.v(from), s.v(to)).Run())
	return s.v(to)
}

// TestApplyStoreVersionWhole: a store version is in force whole or not at
// all. One whose users file does not load leaves the policy in force too
// (before, its policy came into force with its number while its users did
// not); one whose policy does not load leaves its users and tokens out;
// after either the directory points at the version in force. A good one
// brings in a user whose role only it defines, with a password and a
// token, in one step.
func TestApplyStoreVersionWhole(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	s := storeDirs{dir: filepath.Join(t.TempDir(), "store")}
	require.NoError(t, os.MkdirAll(s.v(1), 0o700))
	require.NoError(t, exec.Command("cp", "-a", cfg.PoliciesDir, filepath.Join(s.v(1), "policies")).Run())
	require.NoError(t, exec.Command("cp", "-a", cfg.UsersFile, filepath.Join(s.v(1), "users.txt")).Run())
	require.NoError(t, s.point(1))
	cfg.UsersFile = filepath.Join(s.dir, "current", "users.txt")
	cfg.PoliciesDir = filepath.Join(s.dir, "current", "policies")
	c := openCore(t, cfg)
	c.SetPolicyVersion(1)
	ctx := context.Background()
	// Each login from its own address: the login limits (tested
	// elsewhere) must not decide these.
	addr := 0
	peer := func() Peer {
		addr++
		return Peer{Remote: "127.0.1." + strconv.Itoa(addr) + ":5000", Listener: "test"}
	}

	allowed := func(user, code string) (bool, int64) {
		dec, v, err := c.checkPolicy(user, []byte(code))
		require.NoError(t, err)
		return dec.Allowed, v
	}
	ok, v := allowed("guest", "max(1, 2)")
	require.True(t, ok, "guest may call max under version 1")
	require.Equal(t, int64(1), v)

	// A good version 2: carol, her role (only here), her password and token.
	d2 := s.copyVersion(t, 1, 2)
	require.NoError(t, os.WriteFile(filepath.Join(d2, "policies", "roles", "carolrole.csv"), []byte("p, role:carolrole, base::sum, call, allow\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(d2, "policies", "users", "carol.csv"), []byte("g, carol, role:carolrole\n"), 0o600))
	require.NoError(t, auth.AddUser(filepath.Join(d2, "users.txt"), "carol", []byte("carol-pw"), cheapArgon))
	tok, _, err := auth.CreateToken(filepath.Join(d2, "tokens.txt"), "carol", time.Hour, time.Now())
	require.NoError(t, err)

	// Version 3: users file broken, policy denies max to guest.
	d3 := s.copyVersion(t, 2, 3)
	require.NoError(t, os.WriteFile(filepath.Join(d3, "users.txt"), []byte("this is no users file\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(d3, "policies", "users", "guest.csv"), []byte("g, guest, role:restricted\np, guest, base::max, call, deny\n"), 0o600))
	// Version 4: policy broken, users and tokens with dave.
	d4 := s.copyVersion(t, 2, 4)
	require.NoError(t, os.WriteFile(filepath.Join(d4, "policies", "users", "guest.csv"), []byte("g, guest, role:restricted\np, guest, base::max, call, maybe\n"), 0o600))
	require.NoError(t, auth.AddUser(filepath.Join(d4, "users.txt"), "dave", []byte("dave-pw"), cheapArgon))
	require.NoError(t, os.WriteFile(filepath.Join(d4, "policies", "users", "dave.csv"), []byte("g, dave, role:restricted\n"), 0o600))
	daveTok, _, err := auth.CreateToken(filepath.Join(d4, "tokens.txt"), "dave", time.Hour, time.Now())
	require.NoError(t, err)

	login := func(user, pw string) error {
		_, err := c.Authenticate(ctx, peer(), &Credentials{User: user, Password: []byte(pw)})
		return err
	}
	bearer := func(tok string) error {
		_, err := c.Authenticate(ctx, peer(), &Credentials{Bearer: tok})
		return err
	}
	require.Error(t, login("carol", "carol-pw"), "no carol under version 1")
	require.Error(t, bearer(tok))

	require.NoError(t, c.ApplyStoreVersion(2, s.point))
	assert.Equal(t, int64(2), c.PolicyVersion())
	assert.Equal(t, "v2", s.current(t))
	assert.NoError(t, login("carol", "carol-pw"), "carol logs in with version 2")
	assert.NoError(t, bearer(tok), "and with her token")
	ok, v = allowed("carol", "sum(1, 2)")
	assert.True(t, ok, "her role of version 2 decides")
	assert.Equal(t, int64(2), v)

	err = c.ApplyStoreVersion(3, s.point)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing of it applied")
	assert.Equal(t, int64(2), c.PolicyVersion())
	assert.Equal(t, "v2", s.current(t), "pointed back before anyone reads it")
	ok, v = allowed("guest", "max(1, 2)")
	assert.True(t, ok, "version 3's policy is not in force: its users file did not load")
	assert.Equal(t, int64(2), v)
	assert.NoError(t, login("carol", "carol-pw"), "version 2's users in force")

	err = c.ApplyStoreVersion(4, s.point)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing of it applied")
	assert.Equal(t, int64(2), c.PolicyVersion())
	assert.Equal(t, "v2", s.current(t))
	assert.Error(t, login("dave", "dave-pw"), "version 4's users are not in force: its policy did not load")
	assert.Error(t, bearer(daveTok), "nor its tokens")
	assert.NoError(t, bearer(tok))
}

// TestConsistentDecision: a login's decision overtaken by a store version
// is made again, one made while a version is applied waits for it, and one
// overtaken every time is refused.
func TestConsistentDecision(t *testing.T) {
	c := &Core{}
	calls := 0
	assert.True(t, c.consistentDecision(func() {
		calls++
		if calls == 1 {
			c.versionGen.Add(2) // a version applied meanwhile
		}
	}))
	assert.Equal(t, 2, calls, "decided again")

	c.versionMu.Lock()
	c.versionGen.Add(1)
	var applied sync.WaitGroup
	applied.Add(1)
	done := false
	go func() {
		defer applied.Done()
		time.Sleep(50 * time.Millisecond)
		done = true
		c.versionGen.Add(1)
		c.versionMu.Unlock()
	}()
	calls = 0
	assert.True(t, c.consistentDecision(func() {
		calls++
		assert.True(t, done, "not decided while a version is applied")
	}))
	assert.Equal(t, 1, calls)
	applied.Wait()

	calls = 0
	assert.False(t, c.consistentDecision(func() { calls++; c.versionGen.Add(2) }), "overtaken every time: refused")
	assert.Equal(t, 3, calls)
}
