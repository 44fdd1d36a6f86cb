package mcpapi

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rwarden/rwarden/proxy/core"
)

// Resources: the files in an rwarden session's scratch directory (what
// the session's R code wrote, or what was uploaded with PUT
// /v1/sessions/{id}/files/{name}), read with resources/read. Reading one
// is an audited file operation of the core, as on /v1.

// fileURIPrefix is the scheme and host of the file resources:
// rwarden://session/{session}/files/{name}.
const fileURIPrefix = "rwarden://session/"

// maxResourceBytes bounds a file sent as a resource (base64 in JSON).
const maxResourceBytes = 16 << 20

func (s *Server) addResources() {
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: fileURIPrefix + "{session}/files/{name}",
		Name:        "session-file",
		Title:       "A file in an R session's working directory",
		Description: "A file in the working directory of an R session opened with r_session_open: what the " +
			"session's code wrote (e.g. write.csv(df, \"out.csv\")). Text files come back as text, others as a blob.",
	}, s.readFile)
}

// parseFileURI splits rwarden://session/{session}/files/{name}.
func parseFileURI(uri string) (session, name string, ok bool) {
	rest, found := strings.CutPrefix(uri, fileURIPrefix)
	if !found {
		return "", "", false
	}
	session, name, found = strings.Cut(rest, "/files/")
	if !found || session == "" || strings.Contains(session, "/") {
		return "", "", false
	}
	name, err := url.PathUnescape(name)
	if err != nil || !core.ValidFileName(name) {
		return "", "", false
	}
	return session, name, true
}

func (s *Server) readFile(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	if req.Extra == nil || req.Extra.Header == nil {
		return nil, errors.New("no authenticated caller for this request")
	}
	c := s.tickets.lookup(req.Extra.Header)
	if c == nil {
		return nil, errors.New("no authenticated caller for this request")
	}
	uri := req.Params.URI
	sid, name, ok := parseFileURI(uri)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	cs, release, ok := s.http.AcquireSession(sid, c.id.User)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	defer release()
	data, err := cs.GetFile(ctx, name)
	switch {
	case errors.Is(err, core.ErrNoFile), errors.Is(err, core.ErrFileName):
		return nil, mcp.ResourceNotFoundError(uri)
	case err != nil:
		s.log.Error("reading a session file failed", "user", c.id.User, "err", err)
		return nil, errors.New("the file could not be read")
	case len(data) > maxResourceBytes:
		return nil, errors.New("the file is larger than 16 MiB: fetch it with GET /v1/sessions/{id}/files/{name}")
	}
	rc := &mcp.ResourceContents{URI: uri}
	if utf8.Valid(data) && !bytes.ContainsRune(data, 0) {
		rc.MIMEType, rc.Text = "text/plain; charset=utf-8", string(data)
	} else {
		rc.MIMEType, rc.Blob = "application/octet-stream", data
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{rc}}, nil
}
