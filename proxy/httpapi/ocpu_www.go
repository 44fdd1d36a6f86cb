package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
)

// OpenCPU apps are R packages whose web pages (inst/www) OpenCPU serves at
// /ocpu/library/{pkg}/www/; their scripts call the package's functions
// with the relative path "../R", from the same origin, so no CORS is
// needed. rwarden serves such pages from the listener's ocpu_apps
// directory (one subdirectory per app) instead of from R's library: the
// operator decides what is published, and the pages are plain files
// served by Go, never by the R worker.

// ocpuWWW serves GET /ocpu/library/{pkg}/www/{path...}: the file path of
// the app pkg, index.html for a directory. Like every other route it
// needs an authenticated user (an app's page is no more public than the
// API it calls). Files and directories whose names start with a dot are
// not served, and os.Root keeps every lookup, symbolic links included,
// inside the apps directory.
func (s *Server) ocpuWWW(w http.ResponseWriter, r *http.Request) {
	_, ci, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	dir := ci.tc.Listener().Config.OcpuApps
	app, rel := r.PathValue("pkg"), r.PathValue("path")
	if dir == "" || !rName.MatchString(app) || strings.HasPrefix(app, ".") {
		http.NotFound(w, r)
		return
	}
	name, ok := appFile(app, rel)
	if !ok {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		s.log.Error("opening the ocpu_apps directory failed", "dir", dir, "err", err)
		http.Error(w, "apps directory unavailable", http.StatusServiceUnavailable)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil && fi.IsDir() {
			// A directory is its index.html; a path to a directory
			// without the final slash would resolve the page's
			// relative links against the wrong folder.
			_ = f.Close()
			if rel != "" && !strings.HasSuffix(rel, "/") {
				http.Redirect(w, r, path.Base(rel)+"/", http.StatusMovedPermanently)
				return
			}
			name = path.Join(name, "index.html")
			if f, err = root.Open(name); err == nil {
				fi, err = f.Stat()
			}
		}
		if err == nil && !fi.Mode().IsRegular() {
			err = fs.ErrNotExist
		}
		if err != nil {
			if f != nil {
				_ = f.Close()
			}
		} else {
			defer f.Close()
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-cache")
			http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
			return
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("serving an app file failed", "app", app, "path", rel, "err", err)
	}
	http.NotFound(w, r)
}

// appFile is the slash-separated name of an app's file below the apps
// directory, or false when a segment is empty, "." or "..", or starts
// with a dot (hidden files such as .git or .htpasswd are never served).
func appFile(app, rel string) (string, bool) {
	name := app
	for seg := range strings.SplitSeq(strings.TrimSuffix(rel, "/"), "/") {
		if seg == "" && rel == "" {
			break
		}
		if seg == "" || strings.HasPrefix(seg, ".") || strings.ContainsRune(seg, 0) || strings.ContainsRune(seg, '\\') {
			return "", false
		}
		name += "/" + seg
	}
	return name, true
}

// ocpuPackage serves GET /ocpu/library/{pkg}/R/: OpenCPU lists a
// package's objects there, and opencpu.js's ocpu.seturl reads it to check
// the path (it alerts when that fails). rwarden lists the objects of pkg
// that the user's policy allows, one a line, sorted; a package the user
// may not use is 404, as OpenCPU answers for one that is not installed.
func (s *Server) ocpuPackage(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	pkg := r.PathValue("pkg")
	if !rName.MatchString(pkg) {
		ocpuText(w, http.StatusNotFound, "no such package\n")
		return
	}
	a, err := s.core.Allowlist(id.User)
	if err != nil {
		s.log.Error("resolving an allowlist failed", "user", id.User, "err", err)
		ocpuText(w, http.StatusServiceUnavailable, "the policy could not be resolved\n")
		return
	}
	if !slices.Contains(a.Packages, pkg) {
		ocpuText(w, http.StatusNotFound, "no such package: "+pkg+"\n")
		return
	}
	var names []string
	for _, f := range a.Functions {
		if p, name, ok := strings.Cut(f, "::"); ok && p == pkg {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	ocpuText(w, http.StatusOK, b.String())
}
