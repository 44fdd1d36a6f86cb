package policy

import (
	"github.com/rwarden/rwarden/policy/refs"
	"github.com/rwarden/rwarden/policy/rsyntax"
)

// analyze parses R code and lists its function references. A syntax error
// is returned as is (a *rsyntax.SyntaxError, or *rsyntax.LimitError for
// input beyond the parser's bounds), so that callers can report R's
// position and message.
func analyze(code []byte) ([]reference, error) {
	f, err := rsyntax.Parse(code, rsyntax.Options{})
	if err != nil {
		return nil, err
	}
	found := refs.Find(f)
	out := make([]reference, len(found))
	for i, r := range found {
		out[i] = reference{
			Name: r.Name, Pkg: r.Pkg, Kind: string(r.Kind), Detail: r.Detail,
			Line: r.Pos.Line, Col: r.Pos.Col,
		}
	}
	return out, nil
}
