package proxy

import (
	"fmt"
	"strings"
)

// Text renders an outcome as the framed protocol answers it: what R's
// console prints for successful code, and for everything else an error text
// that starts with "Error" (clients rely on that), followed by any output
// the code printed before it failed.
func (o *Outcome) Text() string {
	var b strings.Builder
	switch {
	case o.Refusal != "":
		b.WriteString(o.Refusal)
	case o.Syntax != nil:
		fmt.Fprintf(&b, "Error: syntax error at %s\n", o.Syntax.Error())
	case o.Decision == DecisionDenied:
		b.WriteString("Error: not allowed by policy; the code was not run:\n")
		for _, v := range o.Violations {
			fmt.Fprintf(&b, "  %s\n", v.String())
		}
	case o.Result != nil:
		r := o.Result
		if o.Decision == DecisionAllowed {
			b.Write(r.Output)
			truncNote(&b, o)
			return b.String()
		}
		b.WriteString(r.Error)
		if !strings.HasSuffix(r.Error, "\n") {
			b.WriteByte('\n')
		}
		if len(r.Output) > 0 {
			b.WriteString("--- output before the error ---\n")
			b.Write(r.Output)
			truncNote(&b, o)
		}
	default:
		b.WriteString("Error: no result\n")
	}
	return b.String()
}

func truncNote(b *strings.Builder, o *Outcome) {
	r := o.Result
	if !r.Truncated {
		return
	}
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "[rwarden: output cut at %d of %d bytes (output limit)]\n", len(r.Output), r.OutputBytes)
}
