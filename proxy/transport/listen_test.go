package transport_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/proxy/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenPlaintextRefusedOffLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		t.Run(addr, func(t *testing.T) {
			ln, err := transport.Listen(context.Background(), addr, true, 0)
			require.Error(t, err)
			assert.Nil(t, ln)
			assert.Contains(t, err.Error(), "plaintext")
		})
	}
	ln, err := transport.Listen(context.Background(), "127.0.0.1:0", true, 0)
	require.NoError(t, err)
	ln.Close()
	// Not plaintext (TLS goes on top): any address.
	ln, err = transport.Listen(context.Background(), "0.0.0.0:0", false, 0)
	require.NoError(t, err)
	ln.Close()
}

func TestListenUnixModeAndCleanup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rw.sock")
	ln, err := transport.Listen(context.Background(), "unix:"+path, true, 0o600)
	require.NoError(t, err)
	st, err := os.Lstat(path)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeSocket)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Equal(t, path, ln.Addr().String())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary socket left behind")

	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	c.Close()
	require.NoError(t, ln.Close())
	_, err = os.Lstat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "Close removes the socket file")
}

func TestListenUnixStaleAndLive(t *testing.T) {
	dir := t.TempDir()

	// A stale socket (its listener died without unlinking) is replaced.
	stale := filepath.Join(dir, "stale.sock")
	old, err := net.Listen("unix", stale)
	require.NoError(t, err)
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close()
	ln, err := transport.Listen(context.Background(), "unix:"+stale, true, 0o660)
	require.NoError(t, err)

	// A live socket is not touched.
	_, err = transport.Listen(context.Background(), "unix:"+stale, true, 0o660)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in use")
	c, err := net.Dial("unix", stale)
	require.NoError(t, err, "the live listener must still work")
	c.Close()
	ln.Close()

	// Any other file is never removed.
	regular := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(regular, []byte("keep"), 0o600))
	_, err = transport.Listen(context.Background(), "unix:"+regular, true, 0o660)
	require.Error(t, err)
	data, err := os.ReadFile(regular)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(data))
}

func TestPeerCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pc.sock")
	ln, err := transport.Listen(context.Background(), "unix:"+path, true, 0o600)
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	client, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer client.Close()
	srv := <-accepted
	require.NotNil(t, srv)
	defer srv.Close()

	uid, gid, pid, err := transport.PeerCredentials(srv)
	require.NoError(t, err)
	assert.Equal(t, uint32(os.Getuid()), uid)
	assert.Equal(t, uint32(os.Getgid()), gid)
	assert.Equal(t, int32(os.Getpid()), pid)

	// Through a TLS wrapper too.
	uid2, _, _, err := transport.PeerCredentials(tls.Server(srv, &tls.Config{}))
	require.NoError(t, err)
	assert.Equal(t, uid, uid2)

	// TCP has no peer credentials.
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer tl.Close()
	tc, err := net.Dial("tcp", tl.Addr().String())
	require.NoError(t, err)
	defer tc.Close()
	_, _, _, err = transport.PeerCredentials(tc)
	assert.Error(t, err)
}

// Another process under another uid: the credentials are the kernel's view
// of that process, not ours.
func TestPeerCredentialsOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as nobody")
	}
	// The system python, not one under /root that nobody cannot run.
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("/usr/bin/python3 not installed")
	}
	// t.TempDir's parent is 0700; nobody needs to reach the socket.
	dir, err := os.MkdirTemp("", "rwarden-peercred-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	path := filepath.Join(dir, "other.sock")
	ln, err := transport.Listen(context.Background(), "unix:"+path, true, 0o666)
	require.NoError(t, err)
	defer ln.Close()

	cmd := exec.Command(py, "-c", `import socket,sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(1)`, path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Wait() }()

	require.NoError(t, ln.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(10*time.Second)))
	c, err := ln.Accept()
	require.NoError(t, err)
	defer c.Close()
	uid, gid, pid, err := transport.PeerCredentials(c)
	require.NoError(t, err)
	assert.Equal(t, uint32(65534), uid)
	assert.Equal(t, uint32(65534), gid)
	assert.Equal(t, int32(cmd.Process.Pid), pid)
}
