package framed

import (
	"fmt"
	"strings"

	"github.com/rwarden/rwarden/proxy/core"
)

// Render is an outcome as the framed protocol answers it: what R's console
// prints for successful code, and for everything else the error message
// (starting with "Error", clients rely on that), followed by any output the
// code printed before it failed.
func Render(o *core.Outcome) string {
	var b strings.Builder
	if o.Decision == core.DecisionAllowed && o.Result != nil {
		b.Write(o.Result.Output)
		truncNote(&b, o.Result)
		return b.String()
	}
	b.WriteString(o.ErrorMessage())
	if r := o.Result; r != nil && o.Refusal == "" && len(r.Output) > 0 {
		b.WriteString("--- output before the error ---\n")
		b.Write(r.Output)
		truncNote(&b, r)
	}
	return b.String()
}

func truncNote(b *strings.Builder, r *core.Result) {
	if !r.Truncated {
		return
	}
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "[rwarden: output cut at %d of %d bytes (output limit)]\n", len(r.Output), r.OutputBytes)
}

// RenderStreamEnd is the final frame of a streaming answer, whose output
// was already sent as it came: nothing for a success, the error text of a
// failure (starting with "Error", as every failed answer), then the
// output-limit note when output was cut.
func RenderStreamEnd(o *core.Outcome) string {
	var b strings.Builder
	if !(o.Decision == core.DecisionAllowed && o.Result != nil) {
		b.WriteString(o.ErrorMessage())
	}
	if r := o.Result; r != nil && r.Truncated {
		fmt.Fprintf(&b, "[rwarden: output cut at %d of %d bytes (output limit)]\n", len(r.Output), r.OutputBytes)
	}
	return b.String()
}
