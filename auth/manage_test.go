package auth

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestManageUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.txt")

	_, err := ListUsers(path)
	require.ErrorIs(t, err, os.ErrNotExist)

	require.NoError(t, AddUser(path, "alice", []byte("pw-a"), fastParams))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "created 0600")

	require.NoError(t, AddUser(path, "bob", []byte("pw-b"), fastParams))
	assert.ErrorIs(t, AddUser(path, "alice", []byte("other"), fastParams), ErrUserExists)

	users, err := ListUsers(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob"}, users)

	require.NoError(t, SetPassword(path, "bob", []byte("pw-b2"), fastParams))
	assert.ErrorIs(t, SetPassword(path, "carol", []byte("x"), fastParams), ErrUnknownUser)

	s, err := OpenStore(path)
	require.NoError(t, err)
	ctx := t.Context()
	assert.NoError(t, s.Verify(ctx, "alice", []byte("pw-a")))
	assert.NoError(t, s.Verify(ctx, "bob", []byte("pw-b2")))
	assert.ErrorIs(t, s.Verify(ctx, "bob", []byte("pw-b")), ErrBadCredentials, "old password")

	require.NoError(t, DeleteUser(path, "alice"))
	assert.ErrorIs(t, DeleteUser(path, "alice"), ErrUnknownUser)
	users, err = ListUsers(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, users)

	// A mode changed by hand is put back to 0600 on the next write.
	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, SetPassword(path, "bob", []byte("pw-b3"), fastParams))
	st, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestManageRefuses(t *testing.T) {
	path := writeUsers(t, aliceLine+"\n")
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"add empty password", func() error { return AddUser(path, "bob", nil, fastParams) }, errEmptyPasswd},
		{"add long password", func() error { return AddUser(path, "bob", make([]byte, MaxPasswordLen+1), fastParams) }, errLongPassword},
		{"add bad name", func() error { return AddUser(path, "../etc", []byte("x"), fastParams) }, ErrInvalidName},
		{"add name with colon", func() error { return AddUser(path, "a:b", []byte("x"), fastParams) }, ErrInvalidName},
		{"passwd empty", func() error { return SetPassword(path, "alice", []byte{}, fastParams) }, errEmptyPasswd},
		{"del bad name", func() error { return DeleteUser(path, "Alice") }, ErrInvalidName},
		{"passwd missing file", func() error {
			return SetPassword(filepath.Join(t.TempDir(), "none"), "alice", []byte("x"), fastParams)
		}, os.ErrNotExist},
		{"del missing file", func() error { return DeleteUser(filepath.Join(t.TempDir(), "none"), "alice") }, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.run(), tt.want)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, aliceLine+"\n", string(got), "file untouched")
		})
	}
}

func TestEditRefusesMalformedFile(t *testing.T) {
	content := aliceLine + "\nbroken line\n"
	path := writeUsers(t, content)
	err := AddUser(path, "bob", []byte("pw"), fastParams)
	require.Error(t, err)
	assert.Contains(t, err.Error(), ":2: expected NAME:PHC")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, content, string(got))
}

// TestAtomicWriteFailureKeepsOriginal fails the write after the new file is
// complete and before the rename: the original must be intact and no
// temporary file left behind.
func TestAtomicWriteFailureKeepsOriginal(t *testing.T) {
	path := writeUsers(t, aliceLine+"\n")
	var tmpSeen string
	hookBeforeRename = func(tmp string) error {
		tmpSeen = tmp
		st, err := os.Stat(tmp)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "temp file 0600 from the start")
		return errors.New("injected failure")
	}
	t.Cleanup(func() { hookBeforeRename = nil })

	err := AddUser(path, "bob", []byte("pw"), fastParams)
	require.ErrorContains(t, err, "injected failure")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, aliceLine+"\n", string(got))
	require.NotEmpty(t, tmpSeen)
	assert.NoFileExists(t, tmpSeen)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only the users file remains")
}

// TestAtomicWriteReadOnlyDir is the real-world failure: the directory cannot
// take a new file. Root ignores directory permissions, so as root the test
// re-runs itself as nobody.
func TestAtomicWriteReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t, "TestAtomicWriteReadOnlyDir")
		return
	}
	path := writeUsers(t, aliceLine+"\n")
	dir := filepath.Dir(path)
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	require.Error(t, AddUser(path, "bob", []byte("pw"), fastParams))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, aliceLine+"\n", string(got))
}

// TestTempFileNeverFollowsSymlink plants a symlink where the temporary file
// will be created; the write must fail without touching the link's target.
func TestTempFileNeverFollowsSymlink(t *testing.T) {
	path := writeUsers(t, aliceLine+"\n")
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	planted := filepath.Join(filepath.Dir(path), ".planted")
	require.NoError(t, os.Symlink(victim, planted))
	hookTempName = func(string, string) string { return planted }
	t.Cleanup(func() { hookTempName = nil })

	err := AddUser(path, "bob", []byte("pw"), fastParams)
	require.Error(t, err)
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(got))
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, aliceLine+"\n", string(got))
}

func TestRefuseToReplaceSymlink(t *testing.T) {
	real := writeUsers(t, aliceLine+"\n")
	link := filepath.Join(t.TempDir(), "users.txt")
	require.NoError(t, os.Symlink(real, link))

	users, err := ListUsers(link)
	require.NoError(t, err, "reading through a symlink is fine")
	assert.Equal(t, []string{"alice"}, users)

	err = AddUser(link, "bob", []byte("pw"), fastParams)
	require.ErrorContains(t, err, "is a symlink")
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeSymlink, "link still a link")
}

// TestConcurrentAdds checks that the directory lock serializes edits: no
// update is lost when many run at once.
func TestConcurrentAdds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.txt")
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = AddUser(path, fmt.Sprintf("user%02d", i), []byte("pw"), fastParams)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	users, err := ListUsers(path)
	require.NoError(t, err)
	assert.Len(t, users, n)
}

// TestRewriteKeepsOwner: root editing a users file owned by the service
// account must not leave it owned by root (the server could not read it).
func TestRewriteKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	path := writeUsers(t, aliceLine+"\n")
	const nobody = 65534
	require.NoError(t, os.Chown(path, nobody, nobody))
	require.NoError(t, AddUser(path, "bob", []byte("pw"), fastParams))
	st, err := os.Stat(path)
	require.NoError(t, err)
	sys, ok := st.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	assert.Equal(t, uint32(nobody), sys.Uid)
	assert.Equal(t, uint32(nobody), sys.Gid)
}

// runAsNobody re-runs the named test in a copy of this test binary as
// uid/gid 65534, for checks that root's privileges would make pass
// vacuously. The copy is needed because go test's build directory is
// private to root.
func runAsNobody(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("RWARDEN_TEST_AS_NOBODY") != "" {
		t.Fatal("still root after dropping to nobody")
	}
	self, err := os.ReadFile(os.Args[0])
	require.NoError(t, err)
	// Not t.TempDir: its parent directory is private to root.
	dir, err := os.MkdirTemp("", "rwarden-auth-nobody-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "auth.test")
	require.NoError(t, os.WriteFile(bin, self, 0o755))

	cmd := exec.CommandContext(t.Context(), bin, "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "RWARDEN_TEST_AS_NOBODY=1")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: "+name, "%s", out)
}
