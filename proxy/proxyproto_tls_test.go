package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/rwarden/rwarden/proxy/qap1"
)

// TestTLSBehindProxyProtocol: rwarden's TLS listeners behind a balancer in
// TCP mode (HAProxy's `send-proxy-v2`, deploy/haproxy/haproxy.cfg): the
// balancer's PROXY v2 header comes first, then the client's own TLS
// handshake, which rwarden terminates. For the framed, QAP1 and HTTP
// listeners: the handshake succeeds after the header, alice's evaluation
// is answered, and its audit record names the client the header named,
// not the balancer. The same header from an address that is not a
// configured balancer is refused before any TLS.
func TestTLSBehindProxyProtocol(t *testing.T) {
	const balancer = "127.0.0.10"
	e := startE2E(t, func(c *config.Config) {
		pp := &config.ProxyProtocolConfig{From: []string{balancer + "/32"}}
		tlsL := c.Listeners[0]
		tlsL.ProxyProtocol = pp
		q := tlsL
		q.Address, q.Protocol = "127.0.0.1:0", qap1.Protocol
		h := tlsL
		h.Address, h.Protocol = "127.0.0.1:0", config.ProtocolHTTP
		c.Listeners = append([]config.ListenerConfig{tlsL}, c.Listeners[1:]...)
		c.Listeners = append(c.Listeners, q, h) // 3: QAP1, 4: HTTP
	})
	ca, err := os.ReadFile(e.pki.CACertPath)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(ca))
	tlsCfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}

	// dial connects from `from`, writes a PROXY v2 header naming client,
	// and starts TLS over the connection.
	dial := func(t *testing.T, from, addr, client string) (*tls.Conn, error) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
		raw, err := d.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = raw.Close() })
		require.NoError(t, raw.SetDeadline(time.Now().Add(2*time.Minute)))
		src, err := net.ResolveTCPAddr("tcp", client)
		require.NoError(t, err)
		hdr := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
			SourceAddr: src, DestinationAddr: raw.RemoteAddr()}
		_, err = hdr.WriteTo(raw)
		require.NoError(t, err)
		c := tls.Client(raw, tlsCfg)
		return c, c.Handshake()
	}
	remoteOf := func(t *testing.T, code string) string {
		t.Helper()
		var got string
		require.Eventually(t, func() bool {
			r := e.lastEval(t)
			got = r.Remote
			return r.Code == code
		}, 30*time.Second, 50*time.Millisecond, "no eval record of %q", code)
		return got
	}

	t.Run("framed", func(t *testing.T) {
		c, err := dial(t, balancer, e.srv.Addr(0).String(), "192.0.2.21:4001")
		require.NoError(t, err)
		ans := ask(t, c, &framed.Credentials{User: "alice", Password: []byte(alicePassword)}, "UTF-8", []byte("20+1"))
		assert.Equal(t, "[1] 21\n", ans)
		assert.Equal(t, "192.0.2.21:4001", remoteOf(t, "20+1"))
	})
	t.Run("qap1", func(t *testing.T) {
		c, err := dial(t, balancer, e.srv.Addr(3).String(), "192.0.2.22:4002")
		require.NoError(t, err)
		var id [32]byte
		_, err = io.ReadFull(c, id[:])
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(id[:]), "Rsrv0103QAP1"), "%q", id[:])
		require.NoError(t, qapCall(c, qap1.Message(qap1.CmdLogin, 0, qap1.StringParam("alice\n"+alicePassword))))
		require.NoError(t, qapCall(c, qap1.Message(qap1.CmdEval, 0, qap1.StringParam("20+2"))))
		assert.Equal(t, "192.0.2.22:4002", remoteOf(t, "20+2"))
	})
	t.Run("http", func(t *testing.T) {
		addr := e.srv.Addr(4).String()
		tr := &http.Transport{DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			return dial(t, balancer, addr, "192.0.2.23:4003")
		}}
		hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
		t.Cleanup(tr.CloseIdleConnections)
		req, err := http.NewRequest(http.MethodPost, "https://localhost/v1/eval", strings.NewReader(`{"code":"20+3"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("alice", alicePassword)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		assert.Contains(t, string(body), "23")
		assert.Equal(t, "192.0.2.23:4003", remoteOf(t, "20+3"))
	})
	t.Run("header from a non-balancer is refused before TLS", func(t *testing.T) {
		_, err := dial(t, "127.0.0.1", e.srv.Addr(0).String(), "192.0.2.24:4004")
		require.Error(t, err, "a forged PROXY header from a client must not get a TLS session")
		var n int
		_, qerr := audit.Query([]string{e.cfg.Audit.File}, audit.Filter{}, func(r *audit.Record) error {
			if r.Remote == "192.0.2.24:4004" {
				n++
			}
			return nil
		})
		require.NoError(t, qerr)
		assert.Zero(t, n, "the forged address reached the audit trail")
	})
}
