package httpapi

import (
	"embed"
	"net/http"
	"strconv"
)

// The browser console: a static page, its script and its style sheet,
// embedded in the binary (no external asset). It signs in by sending HTTP
// Basic credentials from script on every request (no cookie: nothing a
// page of another site could ride on) and drives the /v1 API, streaming
// output over server-sent events. The page is served under a strict
// Content-Security-Policy: no inline script or style, nothing from
// elsewhere, plots shown from blob: URLs the script makes.

//go:embed console/index.html console/console.js console/console.css
var consoleFS embed.FS

// consoleCSP is the policy of the console's documents.
const consoleCSP = "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'none'"

func (s *Server) consoleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", consoleFile("console/index.html", "text/html; charset=utf-8"))
	mux.HandleFunc("GET /console/console.js", consoleFile("console/console.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /console/console.css", consoleFile("console/console.css", "text/css; charset=utf-8"))
}

func consoleFile(name, ctype string) http.HandlerFunc {
	body, err := consoleFS.ReadFile(name)
	if err != nil {
		panic("httpapi: embedded console file missing: " + name) // a build defect, not input
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}
