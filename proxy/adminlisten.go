package proxy

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/rwarden/rwarden/proxy/admin"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/transport"
)

// listenAdmin opens the admin listener: TLS (with the listeners' TLS
// settings and certificate reloading) when admin.tls is set, else plain
// HTTP for /metrics and /healthz only.
func listenAdmin(ac config.AdminConfig) (net.Listener, *transport.CertReloader, error) {
	ln, err := net.Listen("tcp", ac.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("admin listener %s: %w", ac.Address, err)
	}
	if !ac.TLS.Enabled() {
		return ln, nil, nil
	}
	tc, certs, err := transport.NewTLSConfig(ac.TLS)
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("admin listener %s: %w", ac.Address, err)
	}
	tc.NextProtos = []string{"http/1.1"}
	return tls.NewListener(ln, tc), certs, nil
}

// adminHandler joins the core's /metrics and /healthz (no authentication:
// load balancers and Prometheus scrape them) with the admin API, which
// authenticates every request itself.
func (srv *Server) adminHandler() http.Handler {
	open := srv.core.AdminHandler()
	api := admin.Handler(srv.core, srv.cfg.Admin)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/admin/") {
			api.ServeHTTP(w, r)
			return
		}
		open.ServeHTTP(w, r)
	})
}
