package mcpapi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rwarden/rwarden/proxy/core"
)

// The tools' descriptions are written for a model: what the tool does,
// what it returns, and what to do when the policy refuses.

type evalIn struct {
	Code     string  `json:"code" jsonschema:"R code to evaluate; several lines and expressions are fine"`
	Session  string  `json:"session,omitempty" jsonschema:"a session id from r_session_open: evaluate there, keeping variables between calls; omit for a fresh R process discarded afterwards"`
	TimeoutS float64 `json:"timeout_s,omitempty" jsonschema:"wall-clock limit in seconds, at most the user's limit (the default); an evaluation that outlives it is canceled and its session's R state is lost"`
	Value    *bool   `json:"value,omitempty" jsonschema:"return the last value as JSON (default true)"`
}

type sessionIn struct{}

type closeIn struct {
	Session string `json:"session" jsonschema:"the session id from r_session_open"`
}

type policyIn struct {
	Package string `json:"package,omitempty" jsonschema:"list the allowed functions of this package only (e.g. stats); omit for all packages"`
}

type noIn struct{}

func (s *Server) addTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "r_eval", Title: "Evaluate R code",
		Description: "Evaluate R code in a sandboxed R process under your policy, and return what R printed " +
			"(console), the last value as JSON where it converts, warnings, messages, errors and any plots as " +
			"PNG images. Code that calls something the policy does not allow is refused before anything runs: " +
			"the result is an error listing each refused function with line:col and the rule; rewrite the code " +
			"without it (r_describe_policy lists what is allowed). Pass a session id from r_session_open to keep " +
			"variables between calls."}, s.rEval)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "r_session_open", Title: "Open an R session",
		Description: "Open a persistent R session and return its id. Pass the id to r_eval to keep variables, " +
			"loaded packages and files between calls. Sessions end after an idle time, at the end of their " +
			"lifetime, or with r_session_close; close it when done, since open sessions count against your limit."}, s.rSessionOpen)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "r_session_close", Title: "Close an R session",
		Description: "Close an R session opened with r_session_open and discard its R state."}, s.rSessionClose)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "r_describe_policy", Title: "What may I call?",
		Description: "Describe your R policy: the packages you may load, whether computed function references " +
			"are allowed, your limits, and (for one package, or all) the functions you may call. Call this " +
			"before writing code to avoid refusals."}, s.rDescribePolicy)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "r_list_packages", Title: "List R packages",
		Description: "List the installed R packages your policy lets you load with library() or PKG::name."}, s.rListPackages)
}

// callerOf finds the authenticated caller of a tool call.
func (s *Server) callerOf(req *mcp.CallToolRequest) (*caller, error) {
	if req.Extra != nil && req.Extra.Header != nil {
		if c := s.tickets.lookup(req.Extra.Header); c != nil {
			return c, nil
		}
	}
	return nil, errors.New("no authenticated caller for this request")
}

// clientDetail names the MCP client in the audit record.
func clientDetail(req *mcp.CallToolRequest) map[string]string {
	d := map[string]string{"mcp_tool": req.Params.Name}
	if ci := req.ClientInfo(); ci != nil {
		d["mcp_client"] = ci.Name
		d["mcp_client_version"] = ci.Version
	} else {
		d["mcp_client"] = "unknown"
	}
	return d
}

func textResult(isErr bool, text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: isErr, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

func (s *Server) rEval(ctx context.Context, req *mcp.CallToolRequest, in evalIn) (*mcp.CallToolResult, any, error) {
	c, err := s.callerOf(req)
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(in.Code) == "" {
		return textResult(true, "code is empty"), nil, nil
	}
	if max := maxCodeOf(c); max > 0 && int64(len(in.Code)) > max {
		return textResult(true, fmt.Sprintf("the code is %d bytes, above the limit of %d", len(in.Code), max)), nil, nil
	}
	var cs *core.Session
	if in.Session != "" {
		sess, release, ok := s.http.AcquireSession(in.Session, c.id.User)
		if !ok {
			msg, _ := s.http.SessionMissing(in.Session)
			return textResult(true, msg+" with r_session_open"), nil, nil
		}
		defer release()
		cs = sess
	} else {
		sess, msg := s.open(ctx, c)
		if sess == nil {
			return textResult(true, msg), nil, nil
		}
		defer sess.Close()
		cs = sess
	}
	if in.TimeoutS < 0 {
		return textResult(true, "timeout_s must be positive"), nil, nil
	}
	evalCtx := ctx
	var limit time.Duration
	if in.TimeoutS > 0 {
		// Above the user's wall limit the core's own limit applies first.
		limit = time.Duration(min(in.TimeoutS, 1e6) * float64(time.Second))
		if wall := cs.Limits().Wall; wall > 0 && limit > wall {
			limit = wall
		}
		var cancel context.CancelFunc
		evalCtx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	wantValue := in.Value == nil || *in.Value
	opts := core.EvalOptions{WantValue: wantValue, Plots: true, AuditDetail: clientDetail(req)}
	var prog *progress
	if tok := req.Params.GetProgressToken(); tok != nil {
		prog = newProgress(ctx, req.Session, tok)
		opts.Stream = func(ev core.Event) { prog.add(ev.Data) }
	}
	out := cs.Evaluate(evalCtx, []byte(in.Code), opts)
	if prog != nil {
		prog.finish()
	}
	if limit > 0 && out.Result == nil && ctx.Err() == nil && errors.Is(evalCtx.Err(), context.DeadlineExceeded) {
		// The core reports a canceled evaluation as refused; here the
		// caller's own time limit stopped it.
		return timeoutResult(limit, in.Session), nil, nil
	}
	return render(out, wantValue, in.Session), nil, nil
}

// open starts a core session for c, or says why not.
func (s *Server) open(ctx context.Context, c *caller) (*core.Session, string) {
	cs, err := s.core.OpenSession(ctx, c.id, c.peer)
	switch {
	case err == nil:
		return cs, ""
	case errors.Is(err, core.ErrTooManySessions):
		return nil, "too many open sessions: close one with r_session_close, or wait"
	case errors.Is(err, core.ErrAuditUnavailable):
		return nil, "the audit trail cannot be written: nothing runs until it can; try again later"
	default:
		s.log.Error("opening a session failed", "user", c.id.User, "err", err)
		return nil, "the session could not be opened"
	}
}

type sessionOut struct {
	Session      string    `json:"session"`
	Expires      time.Time `json:"expires"`
	IdleTimeoutS float64   `json:"idle_timeout_s"`
}

func (s *Server) rSessionOpen(ctx context.Context, req *mcp.CallToolRequest, _ sessionIn) (*mcp.CallToolResult, any, error) {
	c, err := s.callerOf(req)
	if err != nil {
		return nil, nil, err
	}
	cs, msg := s.open(ctx, c)
	if cs == nil {
		return textResult(true, msg), nil, nil
	}
	id := s.http.AddSession(c.id.User, cs)
	out := sessionOut{Session: id, Expires: cs.Expires().UTC(), IdleTimeoutS: cs.Limits().Idle.Seconds()}
	return jsonResult(out), nil, nil
}

func (s *Server) rSessionClose(_ context.Context, req *mcp.CallToolRequest, in closeIn) (*mcp.CallToolResult, any, error) {
	c, err := s.callerOf(req)
	if err != nil {
		return nil, nil, err
	}
	if !s.http.CloseSession(in.Session, c.id.User) {
		msg, _ := s.http.SessionMissing(in.Session)
		return textResult(true, msg), nil, nil
	}
	return textResult(false, "session closed"), nil, nil
}

type policyOut struct {
	User      string              `json:"user"`
	Packages  []string            `json:"packages"`
	Internal  []string            `json:"internal_packages,omitempty"`
	Dynamic   bool                `json:"computed_function_references_allowed"`
	Limits    map[string]string   `json:"limits"`
	Functions map[string][]string `json:"functions"`
	Note      string              `json:"note"`
}

func (s *Server) rDescribePolicy(_ context.Context, req *mcp.CallToolRequest, in policyIn) (*mcp.CallToolResult, any, error) {
	c, err := s.callerOf(req)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.core.Allowlist(c.id.User)
	if err != nil {
		return textResult(true, "the policy could not be resolved"), nil, nil
	}
	out := policyOut{User: c.id.User, Packages: a.Packages, Internal: a.Internal, Dynamic: a.Dynamic,
		Functions: map[string][]string{},
		Note: "functions are listed by package; anything not listed is refused. " +
			"library(PKG) and PKG::name work for the packages listed."}
	lim := s.core.LimitsFor(c.id.User)
	out.Limits = map[string]string{"wall": lim.Wall.String(), "idle": lim.Idle.String(),
		"session_wall": lim.SessionWall.String(), "sessions": fmt.Sprint(lim.Sessions)}
	for _, f := range a.Functions {
		pkg, name, ok := strings.Cut(f, "::")
		if !ok || (in.Package != "" && pkg != in.Package) {
			continue
		}
		out.Functions[pkg] = append(out.Functions[pkg], name)
	}
	for _, names := range out.Functions {
		sort.Strings(names)
	}
	return jsonResult(out), nil, nil
}

func (s *Server) rListPackages(_ context.Context, req *mcp.CallToolRequest, _ noIn) (*mcp.CallToolResult, any, error) {
	c, err := s.callerOf(req)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.core.Allowlist(c.id.User)
	if err != nil {
		return textResult(true, "the policy could not be resolved"), nil, nil
	}
	return jsonResult(map[string][]string{"packages": a.Packages}), nil, nil
}
