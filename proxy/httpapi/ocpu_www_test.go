package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/config"
)

// writeFiles writes name -> content below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// TestOcpuApps checks how the ocpu_apps directory is served: files of an
// app to authenticated users only, index.html for a folder, never a
// hidden file or anything outside the directory.
func TestOcpuApps(t *testing.T) {
	apps := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, apps, map[string]string{
		"myapp/index.html":     "<!doctype html><title>my app</title>",
		"myapp/app.js":         "window.x = 1;",
		"myapp/.htpasswd":      "secret",
		"myapp/.git/config":    "secret",
		"myapp/sub/index.html": "<title>sub</title>",
		"myapp/noindex/a.txt":  "a",
	})
	writeFiles(t, outside, map[string]string{"secret.txt": "outside"})
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(apps, "myapp", "link.txt")))
	require.NoError(t, os.Symlink(outside, filepath.Join(apps, "linked")))
	a := startAPI(t, func(cfg *config.Config) { cfg.Listeners[0].OcpuApps = apps })
	noRedirect := *a.client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for _, tc := range []struct {
		path   string
		who    *creds
		status int
		body   string // contained in the body when 200
		ctype  string
	}{
		{"/ocpu/library/myapp/www/", alice, http.StatusOK, "my app", "text/html"},
		{"/ocpu/library/myapp/www/index.html", alice, http.StatusOK, "my app", "text/html"},
		{"/ocpu/library/myapp/www/app.js", alice, http.StatusOK, "window.x", "javascript"},
		{"/ocpu/library/myapp/www/sub/", guest, http.StatusOK, "sub", "text/html"},
		{"/ocpu/library/myapp/www/sub", alice, http.StatusMovedPermanently, "/ocpu/library/myapp/www/sub/", ""},
		{"/ocpu/library/myapp/www", nil, http.StatusTemporaryRedirect, "/ocpu/library/myapp/www/", ""},
		{"/ocpu/library/myapp/www/", nil, http.StatusUnauthorized, "", ""},
		{"/ocpu/library/myapp/www/app.js", &creds{"alice", "wrong"}, http.StatusUnauthorized, "", ""},
		{"/ocpu/library/myapp/www/.htpasswd", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/myapp/www/.git/config", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/myapp/www/link.txt", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/linked/www/secret.txt", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/myapp/www/noindex/", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/myapp/www/missing.js", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/other/www/", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/myapp/www/%2e%2e/%2e%2e/etc/passwd", alice, http.StatusNotFound, "", ""},
		{"/ocpu/library/myapp/www/sub%2f..%2f..%2fapp.js", alice, http.StatusNotFound, "", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, hdr, body := a.do(t, &noRedirect, tc.who, "GET", tc.path, nil)
			assert.Equal(t, tc.status, code, "%s", body)
			if tc.status == http.StatusOK && tc.ctype != "" {
				assert.Contains(t, string(body), tc.body)
				assert.Contains(t, hdr.Get("Content-Type"), tc.ctype)
				assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
			}
			if tc.status == http.StatusMovedPermanently || tc.status == http.StatusTemporaryRedirect {
				assert.Equal(t, tc.body, hdr.Get("Location"))
			}
			assert.NotContains(t, string(body), "outside")
			assert.NotContains(t, string(body), "secret")
		})
	}
	code, _, _ := a.do(t, nil, alice, "POST", "/ocpu/library/myapp/www/app.js", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code, "the pages are read-only")

	// A package's object list (what ocpu.seturl reads): what the user's
	// policy allows of it.
	code, hdr, body := a.do(t, nil, alice, "GET", "/ocpu/library/stats/R/", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.Contains(t, hdr.Get("Content-Type"), "text/plain")
	names := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	assert.Contains(t, names, "rnorm")
	assert.IsIncreasing(t, names)
	for _, n := range names {
		assert.NotContains(t, n, "::")
	}
	code, _, body = a.do(t, nil, alice, "GET", "/ocpu/library/base/R/", nil)
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, strings.Split(string(body), "\n"), "system", "a denied function is not listed")
	code, _, _ = a.do(t, nil, alice, "GET", "/ocpu/library/nosuchpackage/R/", nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _, _ = a.do(t, nil, nil, "GET", "/ocpu/library/stats/R/", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
}

// opencpuJS vendors opencpu.js 0.5.0 and jQuery (its dependency) from npm
// into a cache folder (once), for the browser test only: third-party
// JavaScript is never committed. It returns the two files' paths.
func opencpuJS(t *testing.T) (jquery, ocpu string) {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no npm in PATH (scripts/install-deps.sh installs it)")
		}
		t.Skip("no npm in PATH (scripts/install-deps.sh installs it)")
	}
	cache, err := os.UserCacheDir()
	require.NoError(t, err)
	dir := filepath.Join(cache, "rwarden-test", "opencpu-js-0.5.0")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	jquery = filepath.Join(dir, "node_modules", "jquery", "dist", "jquery.min.js")
	ocpu = filepath.Join(dir, "node_modules", "opencpu.js", "opencpu-0.5.js")
	if _, err := os.Stat(ocpu); err != nil {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private": true}`), 0o644))
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--silent", "opencpu.js@0.5.0", "jquery@3.7.1")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm install opencpu.js jquery: %s", out)
	}
	return jquery, ocpu
}

// appPage is the test app: opencpu.js's documented set-up (jQuery, then
// opencpu.js), and a script that calls ocpu.rpc as an OpenCPU app would.
const (
	appPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>rnorm via opencpu.js</title>
<script src="jquery.min.js"></script>
<script src="opencpu-0.5.js"></script>
<script src="app.js"></script>
</head><body><h1>ocpu.rpc("rnorm", {n: 3})</h1>
<p>status: <span id="status">loaded</span></p><pre id="out"></pre></body></html>
`
	appScript = `window.runRPC = function (fun, args) {
  document.getElementById("status").textContent = "running " + fun;
  ocpu.rpc(fun, args, function (data) {
    window.rpcResult = data;
    document.getElementById("out").textContent = JSON.stringify(data);
    document.getElementById("status").textContent = "done";
  }).fail(function (xhr) {
    window.rpcError = {status: xhr.status, text: xhr.responseText};
    document.getElementById("out").textContent = "HTTP " + xhr.status + "\n" + xhr.responseText;
    document.getElementById("status").textContent = "failed";
  });
};
`
)

// TestOpenCPUBrowser runs the unmodified opencpu.js library in headless
// Chromium: a page of an app served by rwarden (ocpu_apps, the same origin
// as the API, as OpenCPU serves apps) calls ocpu.rpc("rnorm", {n: 3})
// against real R, and a call whose argument is code the policy denies
// (an ocpu.Snippet running system()) fails with 403.
func TestOpenCPUBrowser(t *testing.T) {
	exe := chromiumPath(t)
	jquery, ocpuJS := opencpuJS(t)
	apps := t.TempDir()
	app := filepath.Join(apps, "stats")
	require.NoError(t, os.MkdirAll(app, 0o755))
	for src, name := range map[string]string{jquery: "jquery.min.js", ocpuJS: "opencpu-0.5.js"} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(app, name), b, 0o644))
	}
	writeFiles(t, app, map[string]string{"index.html": appPage, "app.js": appScript})
	a := startAPI(t, func(cfg *config.Config) { cfg.Listeners[0].OcpuApps = apps })
	dir := screenshotDir(t)
	ctx := startBrowser(t, exe)

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		})
	}
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(90e9))
	}
	// The user signs in as at OpenCPU behind Basic authentication: the
	// credentials in the address (what the browser's dialog would give);
	// the browser then answers the API's challenges with them.
	u, err := url.Parse(a.url + "/ocpu/library/stats/www/")
	require.NoError(t, err)
	u.User = url.UserPassword("alice", alicePassword)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(u.String()),
		poll(`typeof window.ocpu === "object" && typeof window.runRPC === "function"`),
	))
	// ocpu.seturl, as an app hosted elsewhere would call it (here the
	// same origin): it reads the package's object list first and shows
	// an alert, which would block the page, when that fails.
	type seturlResult struct {
		Status int    `json:"status"`
		Text   string `json:"text"`
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.alerts = [];
		window.alert = (m) => window.alerts.push(String(m));
		ocpu.seturl(`+strconv.Quote(a.url+"/ocpu/library/stats/R")+`).always(function (a, b, c) {
			const xhr = (a && a.status !== undefined) ? a : c;
			window.seturlResult = {status: xhr.status, text: xhr.responseText};
		});`),
		poll(`window.seturlResult !== undefined`)))
	sr, err := chromedp.Run(ctx, chromedp.Evaluate[seturlResult](`window.seturlResult`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, sr.Status)
	assert.Contains(t, strings.Split(sr.Text, "\n"), "rnorm")
	alerts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.alerts`))
	require.NoError(t, err)
	assert.Empty(t, alerts)

	t.Run("rpc rnorm", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`runRPC("rnorm", {n: 3})`),
			poll(`document.getElementById("status").textContent !== "running rnorm"`),
			shot("ocpu-1-rnorm"),
		))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.rpcResult || []`))
		require.NoError(t, err)
		status, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#out")))
		require.NoError(t, err)
		require.Len(t, got, 3, "ocpu.rpc answered: %s", status)
		assert.NotEqual(t, got[0], got[1], "random numbers")
	})

	t.Run("denied", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`window.rpcResult = undefined; runRPC("rnorm", {n: new ocpu.Snippet("system('id')")})`),
			poll(`document.getElementById("status").textContent !== "running rnorm"`),
			shot("ocpu-2-denied"),
		))
		type rpcError struct {
			Status int    `json:"status"`
			Text   string `json:"text"`
		}
		e, err := chromedp.Run(ctx, chromedp.Evaluate[rpcError](`window.rpcError || {}`))
		require.NoError(t, err)
		assert.Equal(t, http.StatusForbidden, e.Status)
		assert.True(t, strings.Contains(e.Text, "base::system"), e.Text)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.rpcResult === undefined`))
		require.NoError(t, err)
		assert.True(t, got, "no result")
	})
}
