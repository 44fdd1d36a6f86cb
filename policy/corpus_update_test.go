package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUpdateEscapeHeaders rewrites the "# expect:" lines of the escape
// corpus from what the check reports, when RWARDEN_UPDATE_CORPUS=1: a
// tool for writing new attempts, whose result is reviewed like code (the
// corpus test itself never rewrites anything).
func TestUpdateEscapeHeaders(t *testing.T) {
	if os.Getenv("RWARDEN_UPDATE_CORPUS") != "1" {
		t.Skip("set RWARDEN_UPDATE_CORPUS=1 to rewrite the corpus headers")
	}
	e := shippedEngine(t)
	for _, f := range corpusFiles(t, "escapes") {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		got := map[string][]string{}
		for _, user := range corpusUsers {
			d, err := e.Check(user, b)
			require.NoError(t, err)
			for _, v := range d.Violations {
				got[user] = append(got[user], fmt.Sprintf("%d:%d %s", v.Line, v.Col, v.Object))
			}
			slices.Sort(got[user])
			got[user] = slices.Compact(got[user])
		}
		var head, expects []string
		lines := strings.Split(string(b), "\n")
		i := 0
		for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
			if !expectRE.MatchString(lines[i]) {
				head = append(head, lines[i])
			}
		}
		for _, v := range got["guest"] {
			if slices.Contains(got["alice"], v) {
				expects = append(expects, "# expect: "+v)
			} else {
				expects = append(expects, "# expect-guest: "+v)
			}
		}
		for _, v := range got["alice"] {
			if !slices.Contains(got["guest"], v) {
				expects = append(expects, "# expect-alice: "+v)
			}
		}
		out := strings.Join(append(append(head, expects...), lines[i:]...), "\n")
		if out != string(b) {
			require.NoError(t, os.WriteFile(f, []byte(out), 0o644))
			t.Logf("updated %s", filepath.Base(f))
		}
	}
}
