package store

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadDSNFileMode: a DSN file group or others may read or write is
// refused, naming the file, its mode and the chmod that fixes it; the
// password never appears in the error. A symbolic link is judged by the
// file it leads to.
func TestReadDSNFileMode(t *testing.T) {
	const secret = "postgres://u:s3cret-pw@127.0.0.1:1/db"
	dir := t.TempDir()
	tests := []struct {
		mode os.FileMode
		err  string
	}{
		{0o600, ""},
		{0o400, ""},
		{0o640, "has mode 0640"},
		{0o604, "has mode 0604"},
		{0o620, "has mode 0620"},
		{0o602, "has mode 0602"},
		{0o644, "has mode 0644"},
		{0o666, "has mode 0666"},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := filepath.Join(dir, "dsn-"+strconv.FormatUint(uint64(tt.mode), 8))
			require.NoError(t, os.WriteFile(path, []byte(secret), 0o600))
			require.NoError(t, os.Chmod(path, tt.mode)) // not subject to the umask
			got, err := ReadDSN(path)
			if tt.err == "" {
				require.NoError(t, err)
				assert.Equal(t, secret, got)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tt.err)
			assert.Contains(t, err.Error(), "chmod 600 "+path)
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}

	target := filepath.Join(dir, "open")
	require.NoError(t, os.WriteFile(target, []byte(secret), 0o600))
	require.NoError(t, os.Chmod(target, 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(target, link))
	_, err := ReadDSN(link)
	require.Error(t, err, "a link to a readable file is refused")
	assert.Contains(t, err.Error(), "has mode 0644")
}

// TestReadDSNFileOwner: a DSN file owned by another user (not rwarden's
// user, not root) is refused even at mode 0600: its owner could put any
// database address and password in it. Root's own file is accepted.
func TestReadDSNFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err, "the nobody user")
	uid, err := strconv.Atoi(nobody.Uid)
	require.NoError(t, err)
	const secret = "postgres://u:s3cret-pw@127.0.0.1:1/db"
	dir := t.TempDir()

	mine := filepath.Join(dir, "mine")
	require.NoError(t, os.WriteFile(mine, []byte(secret), 0o600))
	got, err := ReadDSN(mine)
	require.NoError(t, err, "root's own 0600 file")
	assert.Equal(t, secret, got)

	theirs := filepath.Join(dir, "theirs")
	require.NoError(t, os.WriteFile(theirs, []byte(secret), 0o600))
	require.NoError(t, os.Chown(theirs, uid, -1))
	_, err = ReadDSN(theirs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), theirs)
	assert.Contains(t, err.Error(), "owned by uid "+nobody.Uid)
	assert.Contains(t, err.Error(), "chown")
	assert.NotContains(t, err.Error(), "s3cret")

	// Only the owner matters, not the group: a root-group file of nobody's
	// is still refused, a nobody-group file of root's is accepted.
	group := filepath.Join(dir, "group")
	require.NoError(t, os.WriteFile(group, []byte(secret), 0o600))
	gid, err := strconv.Atoi(nobody.Gid)
	require.NoError(t, err)
	require.NoError(t, os.Chown(group, 0, gid))
	_, err = ReadDSN(group)
	assert.NoError(t, err)
}
