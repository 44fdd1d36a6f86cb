package httpapi

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIListsTheRoutes: docs/openapi.yaml describes exactly the
// routes the server has, and every $ref in it resolves.
func TestOpenAPIListsTheRoutes(t *testing.T) {
	b, err := os.ReadFile("../../docs/openapi.yaml")
	require.NoError(t, err)
	var doc struct {
		OpenAPI    string                            `yaml:"openapi"`
		Paths      map[string]map[string]any         `yaml:"paths"`
		Components map[string]map[string]interface{} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var served []string
	for _, e := range (&Server{}).endpoints() {
		served = append(served, e.method+" "+e.path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	assert.Equal(t, served, documented)

	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if k == "$ref" {
					refs = append(refs, x.(string))
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal(b, &raw))
	walk(raw)
	require.NotEmpty(t, refs)
	for _, r := range refs {
		parts := strings.Split(strings.TrimPrefix(r, "#/components/"), "/")
		require.Len(t, parts, 2, r)
		_, ok := doc.Components[parts[0]][parts[1]]
		assert.True(t, ok, "unresolved %s", r)
	}
}
