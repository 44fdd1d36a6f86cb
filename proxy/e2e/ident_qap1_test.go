package e2e

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Java client reads the identification string with one read: it must
// arrive in one write, on every kind of listener.
func TestQAP1IdentificationInOneRead(t *testing.T) {
	e := startQAP(t, qapOptions{})
	read := func(c net.Conn) (int, string) {
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		require.NoError(t, err)
		return n, string(buf[:n])
	}
	for name, addr := range map[string]string{"login": e.login, "anonymous": e.anon} {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		n, id := read(c)
		assert.Equal(t, 32, n, name)
		assert.Regexp(t, `^Rsrv0103QAP1\r\n\r\n`, id, name)
	}
	c, err := net.Dial("unix", e.unix)
	require.NoError(t, err)
	n, id := read(c)
	assert.Equal(t, 32, n)
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\n--------------\r\n", id, "peer credentials need no login")

	tc, err := tls.Dial("tcp", e.tls, e.tlsConfig(t, "", ""))
	require.NoError(t, err)
	n, id = read(tc)
	assert.Equal(t, 32, n)
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\nARpt----------\r\n", id, "TLS without a client certificate: login required")
}
