package proxy

import (
	"context"

	"github.com/rwarden/rwarden/internal/filewatch"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/transport"
)

// watchCertificates reloads each listener's (and the admin listener's)
// certificate, key and client CA bundle when one of their files changes,
// until ctx ends; SIGHUP still reloads them all. A broken file keeps the
// ones in force (the reload is logged and counted as rejected).
func (srv *Server) watchCertificates(ctx context.Context) {
	watch := func(name string, t config.ListenerTLS, r *transport.CertReloader) {
		if r == nil {
			return
		}
		srv.core.WatchCertificate(name, r.Leaf)
		err := filewatch.Watch(ctx, []string{t.Cert, t.Key, t.ClientCA}, srv.log, func() {
			srv.core.NoteFileReload("certificate", name, r.Reload())
		})
		if err != nil {
			srv.log.Error("watching certificate files failed; changes need SIGHUP", "listener", name, "err", err)
		}
	}
	for _, l := range srv.listeners {
		watch(l.Config.Address, l.Config.TLS, l.Reloader)
	}
	watch("admin "+srv.cfg.Admin.Address, srv.cfg.Admin.TLS, srv.adminCerts)
}
