package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/rwarden/rwarden/proxy/core"
)

// Plots. Every evaluation through this API captures what it plots (the
// worker renders each plot as PNG and SVG, see sandbox.EvalOptions.Plots).
// A session keeps its plots, numbered from 1 in the order drawn, for
// GET /v1/sessions/{id}/plots/{n}.png|svg, up to maxSessionPlotBytes (the
// oldest go first); the answer names them by URL. A one-shot evaluation
// has no session to keep them in: its answer carries them inline as data:
// URLs.

// plotRef is a plot in an answer: two URLs, or two data: URLs.
type plotRef struct {
	PNG string `json:"png,omitempty"`
	SVG string `json:"svg,omitempty"`
	// Omitted says why an inline plot is left out (maxInlinePlotBytes).
	Omitted string `json:"omitted,omitempty"`
}

// maxInlinePlotBytes bounds the plots (PNG and SVG bytes together) one
// answer carries inline: 16 plots of 16 MiB each, base64-encoded and then
// JSON-encoded, would cost rwarden over a gigabyte of memory for one
// request. Plots past the bound are listed with a reason instead.
const maxInlinePlotBytes = 16 << 20

// maxSessionPlotBytes bounds the plots a session keeps.
const maxSessionPlotBytes = 64 << 20

type storedPlot struct {
	n        int
	png, svg []byte
}

// plotStore is a session's kept plots.
type plotStore struct {
	mu    sync.Mutex
	next  int
	bytes int64
	kept  []storedPlot
}

// add keeps plots and returns their numbers.
func (p *plotStore) add(plots []core.Plot) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	ns := make([]int, 0, len(plots))
	for _, pl := range plots {
		p.next++
		p.kept = append(p.kept, storedPlot{n: p.next, png: pl.PNG, svg: pl.SVG})
		p.bytes += int64(len(pl.PNG) + len(pl.SVG))
		ns = append(ns, p.next)
	}
	for p.bytes > maxSessionPlotBytes && len(p.kept) > 0 {
		p.bytes -= int64(len(p.kept[0].png) + len(p.kept[0].svg))
		p.kept = p.kept[1:]
	}
	return ns
}

func (p *plotStore) get(n int) (storedPlot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.kept {
		if k.n == n {
			return k, true
		}
	}
	return storedPlot{}, false
}

// sessionPlotRefs keeps an evaluation's plots in its session and returns
// their URLs.
func sessionPlotRefs(s *session, plots []core.Plot) []plotRef {
	if len(plots) == 0 {
		return nil
	}
	refs := make([]plotRef, 0, len(plots))
	base := "/v1/sessions/" + s.id + "/plots/"
	for i, n := range s.plots.add(plots) {
		var r plotRef
		if len(plots[i].PNG) > 0 {
			r.PNG = base + strconv.Itoa(n) + ".png"
		}
		if len(plots[i].SVG) > 0 {
			r.SVG = base + strconv.Itoa(n) + ".svg"
		}
		refs = append(refs, r)
	}
	return refs
}

// inlinePlotRefs are an evaluation's plots as data: URLs.
func inlinePlotRefs(plots []core.Plot) []plotRef {
	refs := make([]plotRef, 0, len(plots))
	total := 0
	for _, p := range plots {
		var r plotRef
		total += len(p.PNG) + len(p.SVG)
		if total > maxInlinePlotBytes {
			r.Omitted = fmt.Sprintf("the answer's plots are larger than %d bytes together: draw in a session to fetch them by URL", maxInlinePlotBytes)
			refs = append(refs, r)
			continue
		}
		if len(p.PNG) > 0 {
			r.PNG = "data:image/png;base64," + base64.StdEncoding.EncodeToString(p.PNG)
		}
		if len(p.SVG) > 0 {
			r.SVG = "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(p.SVG)
		}
		refs = append(refs, r)
	}
	return refs
}

// getPlot serves GET /v1/sessions/{id}/plots/{file}, file "N.png" or "N.svg".
func (s *Server) getPlot(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	sess := s.lookup(w, r, id)
	if sess == nil {
		return
	}
	defer s.sessions.release(sess)
	num, ext, _ := strings.Cut(r.PathValue("file"), ".")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || strconv.Itoa(n) != num || (ext != "png" && ext != "svg") {
		writeError(w, http.StatusNotFound, "not_found", "no such plot: plots are N.png or N.svg", nil)
		return
	}
	p, found := sess.plots.get(n)
	body, ctype := p.png, "image/png"
	if ext == "svg" {
		body, ctype = p.svg, "image/svg+xml"
	}
	if !found || len(body) == 0 {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no plot %d.%s in this session", n, ext), nil)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=3600")
	// An SVG opened on its own is a document: no script, nothing fetched.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
