package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackFileSymlink: even a user whose policy grants file.symlink
// cannot make a symbolic link in the scratch directory (the sandbox
// refuses it), so GET cannot be pointed at a file outside it and PUT
// cannot write through a link: the names stay plain files.
func TestAttackFileSymlink(t *testing.T) {
	a := startAPI(t, nil)
	grant := "g, alice, role:analyst\np, alice, base::file.symlink, call, allow\np, alice, base::Sys.readlink, call, allow\n"
	require.NoError(t, os.WriteFile(filepath.Join(a.cfg.PoliciesDir, "users", "alice.csv"), []byte(grant), 0o644))
	time.Sleep(2 * time.Second) // policy files are reloaded within a second
	path := a.openSession(t, alice)
	code, _, body := a.do(t, nil, alice, "POST", path+"/eval", map[string]any{
		"code": `writeLines("inside", "target.txt"); c(file.symlink("/etc/passwd", "out"), file.symlink("target.txt", "in"))`})
	require.Equal(t, http.StatusOK, code, "%s", body)
	r := decode(t, body)
	assert.Equal(t, "ok", r.Status, "file.symlink ran: %s", body)
	assert.JSONEq(t, `[false,false]`, string(r.Value), "no link was made: %s", r.Warnings)

	for _, name := range []string{"out", "in"} {
		code, _, body := a.do(t, nil, alice, "GET", path+"/files/"+name, nil)
		assert.Equal(t, http.StatusNotFound, code, "GET %s: %.200s", name, body)
		assert.NotContains(t, string(body), "root:")
		code, _, body = a.do(t, nil, alice, "PUT", path+"/files/"+name, "plain")
		assert.Equal(t, http.StatusCreated, code, "PUT %s: %.200s", name, body)
	}
	code, _, body = a.do(t, nil, alice, "GET", path+"/files/target.txt", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.Equal(t, "inside\n", string(body), "PUT did not write through a link")
	code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": `c(Sys.readlink(c("out", "in")), readLines("out"))`})
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.JSONEq(t, `["", "", "plain"]`, string(decode(t, body).Value), "plain files, not links")
}
