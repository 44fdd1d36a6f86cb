package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// TestData: tables go into a session as data frames and values come out
// as JSON, CSV and RDS, with real R.
func TestData(t *testing.T) {
	// alice's data limit is small here, to test it (default 256MiB).
	a := startAPI(t, func(c *config.Config) {
		d := config.Size(4 << 20)
		c.Limits.Users = map[string]config.LimitSet{"alice": {Data: &d}}
	})
	code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
	require.Equal(t, http.StatusCreated, code)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &s))
	path := "/v1/sessions/" + s.ID

	code, hdr, body := a.do(t, nil, alice, "POST", path+"/data/people",
		`[{"name":"ann","age":31,"ok":true},{"name":"bob","age":null,"ok":false}]`, "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	assert.Equal(t, path+"/data/people", hdr.Get("Location"))
	assert.JSONEq(t, `{"name":"people","rows":2,"columns":[{"name":"name","type":"character"},{"name":"age","type":"integer"},{"name":"ok","type":"logical"}]}`, string(body))

	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "str(people); mean(people$age, na.rm = TRUE)"})
	require.Equal(t, 200, code, "%s", body)
	r := decode(t, body)
	assert.Contains(t, r.Console, "'data.frame':\t2 obs. of  3 variables")
	assert.JSONEq(t, `[31]`, string(r.Value))

	code, _, body = a.do(t, nil, alice, "POST", path+"/data/scores", "id,score\n1,2.5\n2,NA\n", "Content-Type", "text/csv")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "scores$double <- scores$score * 2"})
	require.Equal(t, 200, code, "%s", body)

	code, hdr, body = a.do(t, nil, alice, "GET", path+"/data/scores?format=json", nil)
	require.Equal(t, 200, code, "%s", body)
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	assert.JSONEq(t, `[{"id":1,"score":2.5,"double":5},{"id":2}]`, string(body))

	code, hdr, body = a.do(t, nil, alice, "GET", path+"/data/scores?format=csv", nil)
	require.Equal(t, 200, code, "%s", body)
	assert.Equal(t, "text/csv; charset=utf-8", hdr.Get("Content-Type"))
	assert.Equal(t, "id,score,double\n1,2.5,5\n2,NA,NA\n", string(body))

	code, _, rds := a.do(t, nil, alice, "GET", path+"/data/scores?format=rds", nil)
	require.Equal(t, 200, code)
	// R itself reads the file back.
	f := filepath.Join(t.TempDir(), "scores.rds")
	require.NoError(t, os.WriteFile(f, rds, 0o600))
	out, err := exec.Command("Rscript", "-e", `x <- readRDS(commandArgs(TRUE)[1]); cat(names(x), x$double, sep = ",")`, f).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "id,score,double,5,NA", string(out))

	tests := []struct {
		name, method, path, body, ctype string
		status                          int
	}{
		{"unknown object", "GET", "/data/nothing", "", "", http.StatusNotFound},
		{"bad format", "GET", "/data/scores?format=xml", "", "", http.StatusBadRequest},
		{"bad name", "GET", "/data/.secret", "", "", http.StatusBadRequest},
		{"path in name", "POST", "/data/..%2Fx", "[]", "application/json", http.StatusBadRequest},
		{"reserved name", "POST", "/data/TRUE", "[]", "application/json", http.StatusBadRequest},
		{"no JSON form", "GET", "/data/f?format=json", "", "", http.StatusNotAcceptable},
		{"CSV of a vector", "GET", "/data/v?format=csv", "", "", http.StatusNotAcceptable},
		{"media type", "POST", "/data/x", "[]", "text/plain", http.StatusUnsupportedMediaType},
		{"bad table", "POST", "/data/x", `[[1]]`, "application/json", http.StatusBadRequest},
		{"over the data limit", "POST", "/data/x", "a\n" + strings.Repeat("1\n", 2<<20), "text/csv", http.StatusRequestEntityTooLarge},
		{"CSV ragged", "POST", "/data/x", "a,b\n1,2\n3\n", "text/csv", http.StatusBadRequest},
		{"CSV duplicate columns", "POST", "/data/x", "a,a\n1,2\n", "text/csv", http.StatusBadRequest},
		{"CSV not UTF-8", "POST", "/data/x", "a\n\xff\n", "text/csv", http.StatusBadRequest},
		{"CSV empty", "POST", "/data/x", "", "text/csv", http.StatusBadRequest},
	}
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "f <- function() 1; v <- 1:3"})
	require.Equal(t, 200, code, "%s", body)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b any
			if tt.body != "" {
				b = tt.body
			}
			code, _, body := a.do(t, nil, alice, tt.method, path+tt.path, b, "Content-Type", tt.ctype)
			assert.Equal(t, tt.status, code, "%s", body)
		})
	}

	// Nothing refused was assigned; the session went on.
	code, _, body = a.do(t, nil, alice, "GET", path+"/data/x", nil)
	assert.Equal(t, http.StatusNotFound, code, "%s", body)
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": `nrow(scores)`})
	require.Equal(t, 200, code, "%s", body)
	assert.JSONEq(t, `[2]`, string(decode(t, body).Value))

	// CSV is read in the worker by R's reader: RFC 4180 quoting (a
	// doubled quote is one, separators and line ends inside quotes), a
	// byte-order mark, types per column (logical, integer, double,
	// character), NA and empty cells.
	csvIn := "\uFEFFname,n,x,ok,note\n\"a, \"\"b\"\"\",3,1.5,TRUE,\"two\nlines\"\nc,NA,,FALSE,\n\"\",4,2,,NA\n"
	code, _, body = a.do(t, nil, alice, "POST", path+"/data/typed", csvIn, "Content-Type", "text/csv")
	require.Equal(t, http.StatusCreated, code, "%s", body)
	assert.JSONEq(t, `{"name":"typed","rows":3,"columns":[{"name":"name","type":"character"},{"name":"n","type":"integer"},
		{"name":"x","type":"double"},{"name":"ok","type":"logical"},{"name":"note","type":"character"}]}`, string(body))
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": `list(typed$name, typed$n, typed$x, typed$ok, typed$note)`})
	require.Equal(t, 200, code, "%s", body)
	assert.JSONEq(t, `[["a, \"b\"", "c", ""], [3, null, 4], [1.5, null, 2], [true, false, null], ["two\nlines", "", null]]`, string(decode(t, body).Value))

	// Another user cannot read or write this session's data.
	code, _, _ = a.do(t, nil, guest, "GET", path+"/data/scores", nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _, _ = a.do(t, nil, guest, "POST", path+"/data/y", "[]", "Content-Type", "application/json")
	assert.Equal(t, http.StatusNotFound, code)
}
