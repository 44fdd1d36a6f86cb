package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
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
	name, ok := appFile(app, rel)
	if dir == "" || !rName.MatchString(app) || !ok {
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
	f, fi, err := openAppFile(root, name)
	if errors.Is(err, errAppDir) {
		// A folder's address without its final slash: the page's
		// relative links would resolve against the wrong folder.
		http.Redirect(w, r, path.Base(rel)+"/", http.StatusMovedPermanently)
		return
	}
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("serving an app file failed", "app", app, "path", rel, "err", err)
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
}

// errAppDir: the name is a folder but was asked for without a final slash.
var errAppDir = errors.New("a folder")

// openAppFile opens the regular file name below root; a folder is its
// index.html when name ends with "/", errAppDir otherwise.
func openAppFile(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	f, err := root.Open(strings.TrimSuffix(name, "/"))
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		_ = f.Close()
		if !strings.HasSuffix(name, "/") {
			return nil, nil, errAppDir
		}
		if f, err = root.Open(name + "index.html"); err != nil {
			return nil, nil, err
		}
		fi, err = f.Stat()
	}
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// appFile is the slash-separated name of an app's file below the apps
// directory (ending in "/" for a folder asked for as one), or false when
// a segment is empty, "." or "..", or starts with a dot (hidden files such
// as .git or .htpasswd are never served), or the app's name does.
func appFile(app, rel string) (string, bool) {
	if strings.HasPrefix(app, ".") {
		return "", false
	}
	name := app + "/"
	if rel == "" {
		return name, true
	}
	folder := strings.HasSuffix(rel, "/")
	for seg := range strings.SplitSeq(strings.TrimSuffix(rel, "/"), "/") {
		if seg == "" || strings.HasPrefix(seg, ".") || strings.ContainsAny(seg, "\x00\\") {
			return "", false
		}
		name += seg + "/"
	}
	if !folder {
		name = strings.TrimSuffix(name, "/")
	}
	return name, true
}
