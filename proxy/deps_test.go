package proxy

import (
	"go/build"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The packages of proxy/ depend on each other one way: the lifecycle on the
// front ends, the front ends on the core, transport and their codecs, the
// core on the inner layers. Only the core imports audit, sandbox and
// policy. (Tests are not counted: they may use anything.)
func TestImportRules(t *testing.T) {
	const mod = "github.com/rwarden/rwarden/"
	imports := func(dir string) []string {
		p, err := build.Default.ImportDir(dir, 0)
		require.NoError(t, err, dir)
		var own []string
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, mod) {
				own = append(own, strings.TrimPrefix(imp, mod))
			}
		}
		return own
	}
	allowed := map[string][]string{
		".": {"internal/filewatch", "proxy/admin", "proxy/config", "proxy/core", "proxy/framed", "proxy/httpapi", "proxy/mcpapi", "proxy/qap1", "proxy/store", "proxy/transport"},
		// store: PostgreSQL only; it holds documents that auth and policy
		// load through the core and never imports them or audit.
		"store":     nil,
		"admin":     {"proxy/config", "proxy/core"},
		"mcpapi":    {"proxy/core", "proxy/httpapi"},
		"httpapi":   {"proxy/core", "proxy/transport", "proxy/rdata"},
		"framed":    {"proxy/core", "proxy/transport"},
		"qap1":      {"proxy/core", "proxy/transport", "proxy/rdata"},
		"core":      {"audit", "auth", "internal/filewatch", "internal/units", "policy", "policy/rsyntax", "sandbox", "proxy/config", "proxy/egress", "proxy/transport"},
		"egress":    nil,
		"transport": {"proxy/config"},
		"config":    {"internal/units"},
		"setup":     {"auth", "proxy/config"},
		"rdata":     {"policy/rsyntax"},
		"e2e":       nil,
	}
	ents, err := os.ReadDir(".")
	require.NoError(t, err)
	dirs := []string{"."}
	for _, e := range ents {
		if e.IsDir() && e.Name() != "testdata" {
			dirs = append(dirs, e.Name())
		}
	}
	require.Greater(t, len(dirs), 8)
	for _, d := range dirs {
		name := d
		want, known := allowed[name]
		require.True(t, known, "proxy/%s is a new package: give it a place in this test and in docs/development.md", name)
		for _, imp := range imports(d) {
			assert.True(t, slices.Contains(want, imp), "proxy/%s imports %s", name, imp)
		}
	}
}
