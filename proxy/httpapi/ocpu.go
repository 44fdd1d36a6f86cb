package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/rwarden/rwarden/proxy/transport"
)

// The OpenCPU-compatible subset (https://www.opencpu.org/api.html), so
// that OpenCPU clients work against rwarden unchanged:
//
//	POST /ocpu/library/{pkg}/R/{fun}            call; 201, Location, X-ocpu-session, the path list
//	POST /ocpu/library/{pkg}/R/{fun}/{format}   call, answered in json, print, csv, png, svg or rds
//	GET  /ocpu/tmp/{key}/                       the path list of a call's results
//	GET  /ocpu/tmp/{key}/R/.val[/{format}]      its value (print by default)
//	GET  /ocpu/tmp/{key}/stdout[/text]          what it printed
//	GET  /ocpu/tmp/{key}/console[/text]         the call and what it printed
//	GET  /ocpu/tmp/{key}/graphics/{n}[/{format}]  its n-th plot ("last" too), png or svg
//	GET  /ocpu/library/{app}/www/{path}         a file of a web app in the listener's ocpu_apps (ocpu_www.go)
//	GET  /ocpu/library/{pkg}/R/                 the objects of pkg the user may call (ocpu.seturl reads it)
//
// Unlike OpenCPU, every request is authenticated (as for /v1), the call
// and every argument are policy-checked, and a key is readable only by
// the user whose call made it. Not supported: scripts, package files,
// GET of a package object (/R/{name}), file uploads. A results key as an argument
// (x=x0abc...) passes that call's value on when it is plain data.

func (s *Server) ocpuRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /ocpu/library/{pkg}/R/{fun}", s.ocpuCall)
	mux.HandleFunc("POST /ocpu/library/{pkg}/R/{fun}/{format}", s.ocpuCall)
	mux.HandleFunc("GET /ocpu/tmp/{key}/{$}", s.ocpuPaths)
	mux.HandleFunc("GET /ocpu/tmp/{key}/R/.val", s.ocpuValue)
	mux.HandleFunc("GET /ocpu/tmp/{key}/R/.val/{format}", s.ocpuValue)
	mux.HandleFunc("GET /ocpu/tmp/{key}/stdout", s.ocpuText)
	mux.HandleFunc("GET /ocpu/tmp/{key}/stdout/{format}", s.ocpuText)
	mux.HandleFunc("GET /ocpu/tmp/{key}/console", s.ocpuText)
	mux.HandleFunc("GET /ocpu/tmp/{key}/console/{format}", s.ocpuText)
	mux.HandleFunc("GET /ocpu/tmp/{key}/graphics/{n}", s.ocpuGraphics)
	mux.HandleFunc("GET /ocpu/tmp/{key}/graphics/{n}/{format}", s.ocpuGraphics)
	mux.HandleFunc("GET /ocpu/library/{pkg}/www/{path...}", s.ocpuWWW)
	mux.HandleFunc("GET /ocpu/library/{pkg}/R/{$}", s.ocpuPackage)
}

// ocpuFormats are the output forms of a value.
var ocpuFormats = map[string]bool{"json": true, "print": true, "csv": true, "png": true, "svg": true, "rds": true, "text": true}

// ocpuCall serves POST /ocpu/library/{pkg}/R/{fun}[/{format}].
func (s *Server) ocpuCall(w http.ResponseWriter, r *http.Request) {
	id, ci, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	pkg, fun, format := r.PathValue("pkg"), r.PathValue("fun"), r.PathValue("format")
	if !rName.MatchString(pkg) || !rName.MatchString(fun) {
		ocpuText(w, http.StatusBadRequest, "package and function names must be syntactic R names\n")
		return
	}
	if format != "" && !ocpuFormats[format] {
		ocpuText(w, http.StatusNotFound, "unknown output format "+strconv.Quote(format)+": json, print, csv, png, svg or rds\n")
		return
	}
	args, err := readOcpuArgs(w, r, ci.lim.maxCode)
	if err != nil {
		ocpuBodyError(w, err)
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{}) // the body is read
	code := ocpuCall(pkg, fun, args)
	if int64(len(code)) > ci.lim.maxCode {
		ocpuText(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the call is %d bytes of R code, above the limit of %d\n", len(code), ci.lim.maxCode))
		return
	}
	cs, ok := s.open(w, r, id, ci)
	if !ok {
		return
	}
	defer cs.Close()
	if !s.ocpuKeyArgs(w, r, cs, id.User, args) {
		return
	}
	code = ocpuCall(pkg, fun, args)
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(cs.Limits().Wall + transport.AnswerTimeout))
	out := cs.Evaluate(r.Context(), []byte(code), core.EvalOptions{WantValue: true, Plots: true})
	status, res := result(out, true)
	if status != http.StatusOK {
		ocpuFailure(w, status, res, ocpuDisplay(fun, args))
		return
	}
	kept := &ocpuResult{user: id.User, fun: fun, stdout: res.Console, console: consoleText(ocpuDisplay(fun, args), res.Console)}
	if out.Result != nil {
		kept.value, kept.plots = out.Result.Value, out.Result.Plots
	}
	key := s.ocpu.add(kept)
	h := w.Header()
	h.Set("X-ocpu-session", key)
	h.Set("Location", "/ocpu/tmp/"+key+"/")
	if format == "" {
		ocpuText(w, http.StatusCreated, ocpuPathList(kept))
		return
	}
	s.ocpuRender(w, http.StatusCreated, kept, format, "")
}

// ocpuKeyRE is a results key, as an argument names it.
var ocpuKeyRE = regexp.MustCompile(`^x[0-9a-f]{32}$`)

// ocpuKeyArgs replaces arguments that are the key of an earlier call's
// results (OpenCPU's chaining: x=x0abc...) by that call's value, bound in
// the new session as data under a name of its own (.ocpu_<key>). Only the
// user's own results, and only plain data: the value is decoded, checked
// (rdata.CheckData) and serialized again by rwarden, never passed as
// stored. It answers the request itself when it fails.
func (s *Server) ocpuKeyArgs(w http.ResponseWriter, r *http.Request, cs *core.Session, user string, args []ocpuArg) bool {
	for i, a := range args {
		key := strings.TrimSpace(a.code)
		if !ocpuKeyRE.MatchString(key) {
			continue
		}
		prev := s.ocpu.get(key, user)
		if prev == nil || prev.value == nil {
			ocpuText(w, http.StatusBadRequest, "argument "+a.name+": no session "+key+" with a value (or it expired)\n")
			return false
		}
		v, err := rdata.Unserialize(prev.value, rdata.Limits{})
		if err == nil {
			err = rdata.CheckData(v)
		}
		var b []byte
		if err == nil {
			b, err = rdata.Serialize(v)
		}
		if err != nil {
			ocpuText(w, http.StatusBadRequest, "argument "+a.name+": the value of "+key+" cannot be passed on: "+err.Error()+"\n")
			return false
		}
		name := ".ocpu_" + key
		if err := cs.Assign(r.Context(), name, b); err != nil {
			if errors.Is(err, core.ErrAuditUnavailable) {
				writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error(), nil)
				return false
			}
			ocpuText(w, http.StatusServiceUnavailable, "argument "+a.name+": the value could not be passed on\n")
			return false
		}
		args[i].code = name
	}
	return true
}

// ocpuFailure answers a call that did not succeed: an R error as text
// (400, as OpenCPU does), a denial with its reasons as JSON (403), the
// rest with the /v1 error body and status (413, 429, 503, 504).
func ocpuFailure(w http.ResponseWriter, status int, res *evalResult, call string) {
	switch {
	case status == http.StatusForbidden:
		writeError(w, status, "denied", res.Error, res.Violations)
	case status == http.StatusBadRequest:
		ocpuText(w, status, res.Error+"\n\nIn call:\n"+call+"\n")
	default:
		writeError(w, status, res.Status, res.Error, nil)
	}
}

// ocpuDisplay is the call as a console shows it (fun(name = code, ...)).
func ocpuDisplay(fun string, args []ocpuArg) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.name + " = " + a.code
	}
	return fun + "(" + strings.Join(parts, ", ") + ")"
}

// consoleText is the call typed at a prompt, then its output.
func consoleText(call, output string) string {
	lines := strings.Split(call, "\n")
	var b strings.Builder
	for i, l := range lines {
		if i == 0 {
			b.WriteString("> ")
		} else {
			b.WriteString("+ ")
		}
		b.WriteString(l + "\n")
	}
	b.WriteString(output)
	return b.String()
}

// ocpuPathList is the list of a call's result paths, one a line.
func ocpuPathList(res *ocpuResult) string {
	base := "/ocpu/tmp/" + res.key + "/"
	var b strings.Builder
	b.WriteString(base + "R/.val\n")
	for i := range res.plots {
		b.WriteString(base + "graphics/" + strconv.Itoa(i+1) + "\n")
	}
	b.WriteString(base + "stdout\n")
	b.WriteString(base + "console\n")
	return b.String()
}

// ocpuLookup finds the results of the path's key for the authenticated
// user, or answers 404.
func (s *Server) ocpuLookup(w http.ResponseWriter, r *http.Request) *ocpuResult {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return nil
	}
	res := s.ocpu.get(r.PathValue("key"), id.User)
	if res == nil {
		ocpuText(w, http.StatusNotFound, "no such session (or it expired)\n")
	}
	return res
}

func (s *Server) ocpuPaths(w http.ResponseWriter, r *http.Request) {
	if res := s.ocpuLookup(w, r); res != nil {
		ocpuText(w, http.StatusOK, ocpuPathList(res))
	}
}

func (s *Server) ocpuValue(w http.ResponseWriter, r *http.Request) {
	res := s.ocpuLookup(w, r)
	if res == nil {
		return
	}
	format := r.PathValue("format")
	if format == "" {
		format = "print"
	}
	if !ocpuFormats[format] {
		ocpuText(w, http.StatusNotFound, "unknown output format "+strconv.Quote(format)+"\n")
		return
	}
	s.ocpuRender(w, http.StatusOK, res, format, "")
}

func (s *Server) ocpuText(w http.ResponseWriter, r *http.Request) {
	res := s.ocpuLookup(w, r)
	if res == nil {
		return
	}
	if f := r.PathValue("format"); f != "" && f != "text" {
		ocpuText(w, http.StatusNotFound, "stdout and console are served as text only\n")
		return
	}
	if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/text"), "/stdout") {
		ocpuText(w, http.StatusOK, res.stdout)
		return
	}
	ocpuText(w, http.StatusOK, res.console)
}

func (s *Server) ocpuGraphics(w http.ResponseWriter, r *http.Request) {
	res := s.ocpuLookup(w, r)
	if res == nil {
		return
	}
	format := r.PathValue("format")
	if format == "" {
		format = "png"
	}
	if format != "png" && format != "svg" {
		ocpuText(w, http.StatusNotFound, "graphics are served as png or svg\n")
		return
	}
	s.ocpuRender(w, http.StatusOK, res, format, r.PathValue("n"))
}

// ocpuRender answers with one output form of a call's results; plot
// names the plot for png and svg ("" or "last": the last one).
func (s *Server) ocpuRender(w http.ResponseWriter, status int, res *ocpuResult, format, plot string) {
	switch format {
	case "png", "svg":
		n := len(res.plots)
		if plot != "" && plot != "last" {
			i, err := strconv.Atoi(plot)
			if err != nil || strconv.Itoa(i) != plot {
				i = 0
			}
			n = i
		}
		if n < 1 || n > len(res.plots) {
			ocpuText(w, http.StatusNotFound, "no such plot: the call drew "+strconv.Itoa(len(res.plots))+"\n")
			return
		}
		p := res.plots[n-1]
		body, ctype := p.PNG, "image/png"
		if format == "svg" {
			body, ctype = p.SVG, "image/svg+xml"
		}
		if len(body) == 0 {
			ocpuText(w, http.StatusNotFound, "the plot has no "+format+" form\n")
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		writeBytes(w, status, ctype, body)
	case "print", "text":
		ocpuText(w, status, res.stdout)
	case "rds":
		if res.value == nil {
			ocpuText(w, http.StatusBadRequest, "the call returned no value\n")
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+res.fun+`.rds"`)
		writeBytes(w, status, "application/r-rds", res.value)
	case "json":
		if res.value == nil {
			ocpuText(w, http.StatusBadRequest, "the call returned no value\n")
			return
		}
		j, err := valueJSON(res.value)
		if err != nil {
			ocpuText(w, http.StatusBadRequest, err.Error()+"\n")
			return
		}
		writeBytes(w, status, "application/json", append(j, '\n'))
	case "csv":
		if res.value == nil {
			ocpuText(w, http.StatusBadRequest, "the call returned no value\n")
			return
		}
		c, err := valueCSV(res.value)
		if err != nil {
			ocpuText(w, http.StatusBadRequest, err.Error()+"\n")
			return
		}
		writeBytes(w, status, "text/csv; charset=utf-8", c)
	}
}

func ocpuText(w http.ResponseWriter, status int, text string) {
	writeBytes(w, status, "text/plain; charset=utf-8", []byte(text))
}

func writeBytes(w http.ResponseWriter, status int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ocpuBodyError answers arguments that could not be read.
func ocpuBodyError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errTooLarge):
		ocpuText(w, http.StatusRequestEntityTooLarge, err.Error()+"\n")
	case errors.Is(err, errMediaType):
		ocpuText(w, http.StatusUnsupportedMediaType, err.Error()+"\n")
	case errors.Is(err, errCrossSite):
		ocpuText(w, http.StatusForbidden, err.Error()+"\n")
	default:
		ocpuText(w, http.StatusBadRequest, err.Error()+"\n")
	}
}
