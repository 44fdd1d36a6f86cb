package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
)

// Listen opens a listener on address: "host:port" for TCP or "unix:/path"
// for a unix socket. ctx bounds the set-up only; closing the listener stops
// it. With plaintext set the address must satisfy IsLoopbackOrUnix: this is
// checked here as well as in the configuration, so that no code path can open
// a plaintext port to the network.
//
// A unix socket is created under a temporary name, given unixMode and then
// renamed into place, so it is never reachable with looser permissions. A
// socket already at the path is removed only if nobody accepts connections on
// it (a stale socket from a crash); any other file there is an error. The
// socket file is removed when the listener is closed.
func Listen(ctx context.Context, address string, plaintext bool, unixMode os.FileMode) (net.Listener, error) {
	if plaintext && !config.IsLoopbackOrUnix(address) {
		return nil, fmt.Errorf("listen %s: plaintext is only allowed on loopback addresses and unix sockets", address)
	}
	var lc net.ListenConfig
	if !config.IsUnixAddress(address) {
		ln, err := lc.Listen(ctx, "tcp", address)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", address, err)
		}
		return ln, nil
	}
	path := config.UnixPath(address)
	if path == "" {
		return nil, errors.New("listen unix: empty socket path")
	}
	if err := removeStaleSocket(ctx, path); err != nil {
		return nil, fmt.Errorf("listen %s: %w", address, err)
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), os.Getpid()))
	_ = os.Remove(tmp) // a leftover of our own pid from an earlier crash
	ln, err := lc.Listen(ctx, "unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", address, err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // the file is renamed; unixListener removes it
	if err := os.Chmod(tmp, unixMode.Perm()); err != nil {
		ul.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("listen %s: setting socket mode: %w", address, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ul.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("listen %s: %w", address, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("listen %s: %w", address, err)
	}
	return &unixListener{UnixListener: ul, path: path, fi: fi}, nil
}

// unixListener removes its socket file on Close, if the file is still the
// socket it created (another process may have replaced it since).
type unixListener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo
	once sync.Once
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.fi) {
			_ = os.Remove(l.path)
		}
	})
	return err
}

// Addr reports the public path, not the temporary name the socket was bound
// under.
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

// removeStaleSocket clears path for a new socket: nothing there is fine; a
// socket nobody listens on is removed; a live socket or any other kind of
// file is an error.
func removeStaleSocket(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; refusing to remove it", path)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s is in use by another process", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("checking whether %s is stale: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing stale socket: %w", err)
	}
	return nil
}
