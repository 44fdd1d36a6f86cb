package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

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
