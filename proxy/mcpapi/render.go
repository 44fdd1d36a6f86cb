package mcpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/httpapi"
)

// render turns an outcome into a tool result: a text block for the model
// (what R printed, then the value, warnings and errors), the HTTP API's
// JSON answer as structured content, and each plot as a PNG image. Any
// status but ok is isError, a denial with its reasons.
func render(out *core.Outcome, wantValue bool, session string) *mcp.CallToolResult {
	res := httpapi.Render(out, wantValue)
	res.Session = session
	res.Plots = nil
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", res.Status)
	if res.Status == "denied" {
		b.WriteString("The policy refused this code; nothing ran. Rewrite it without:\n")
		for _, v := range res.Violations {
			fmt.Fprintf(&b, "- %s (%s) at line %d:%d, rule: %s", v.Function, v.Act, v.Line, v.Col, v.Rule)
			if v.Hint != "" {
				fmt.Fprintf(&b, "; %s", v.Hint)
			}
			b.WriteString("\n")
		}
	}
	if res.Console != "" {
		b.WriteString("console:\n")
		b.WriteString(res.Console)
		if !strings.HasSuffix(res.Console, "\n") {
			b.WriteString("\n")
		}
		if res.Truncated {
			b.WriteString("[output truncated at the output limit]\n")
		}
	}
	if len(res.Value) > 0 {
		fmt.Fprintf(&b, "value (JSON): %s\n", clipString(string(res.Value), 64<<10))
	} else if res.ValueError != "" {
		fmt.Fprintf(&b, "value: no JSON form (%s)\n", res.ValueError)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if res.Error != "" && res.Status != "denied" {
		fmt.Fprintf(&b, "error: %s\n", res.Error)
	}
	r := &mcp.CallToolResult{IsError: res.Status != "ok", Content: []mcp.Content{&mcp.TextContent{Text: b.String()}}}
	if out.Result != nil {
		for i, p := range out.Result.Plots {
			if len(p.PNG) > 0 {
				r.Content = append(r.Content, &mcp.ImageContent{Data: p.PNG, MIMEType: "image/png"})
			} else if len(p.SVG) > 0 {
				r.Content = append(r.Content, &mcp.TextContent{Text: fmt.Sprintf("plot %d: SVG only (no PNG)", i+1)})
			}
		}
	}
	if sc, err := json.Marshal(res); err == nil {
		r.StructuredContent = json.RawMessage(sc)
	}
	return r
}

// jsonResult is a successful result whose text is v as JSON, also given
// as structured content.
func jsonResult(v any) *mcp.CallToolResult {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return textResult(true, "internal error: "+err.Error())
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: json.RawMessage(b)}
}

// timeoutResult is an evaluation stopped by the timeout_s the caller gave.
func timeoutResult(limit time.Duration, session string) *mcp.CallToolResult {
	msg := fmt.Sprintf("the time limit of %s given by timeout_s was reached: the evaluation was stopped", limit)
	if session != "" {
		msg += "; the session's R state (its variables) is lost, the session itself stays open"
	}
	res := map[string]any{"status": "timeout", "error": msg, "session": session}
	sc, _ := json.Marshal(res)
	return &mcp.CallToolResult{IsError: true, StructuredContent: json.RawMessage(sc),
		Content: []mcp.Content{&mcp.TextContent{Text: "status: timeout\nerror: " + msg + "\n"}}}
}
