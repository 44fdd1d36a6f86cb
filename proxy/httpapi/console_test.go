package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

// TestConsolePage checks what the console page is served with: a strict
// Content-Security-Policy and no inline script or style.
func TestConsolePage(t *testing.T) {
	a := startAPI(t, nil)
	// No ocpu_apps on this listener: no app pages.
	code, _, _ := a.do(t, nil, alice, "GET", "/ocpu/library/stats/www/", nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, hdr, body := a.do(t, nil, nil, "GET", "/", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, hdr.Get("Content-Security-Policy"), "default-src 'self'")
	assert.NotContains(t, hdr.Get("Content-Security-Policy"), "unsafe-inline")
	assert.Equal(t, "DENY", hdr.Get("X-Frame-Options"))
	page := string(body)
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		assert.Contains(t, m, `src="/console/`, "every script is a file of the console")
	}
	assert.NotContains(t, page, "<style")
	assert.NotRegexp(t, `(?i)\son[a-z]+=`, page, "no inline event handlers")
	assert.NotRegexp(t, `(?i)(src|href)="(https?:)?//`, page, "no external assets")
	// The console's own requests get no Basic challenge (the browser
	// would show its login dialog and cache what was typed there).
	code, hdr, _ = a.do(t, nil, &creds{"nobody", "x"}, "POST", "/v1/eval", map[string]any{"code": "1"}, "X-Rwarden-Console", "1")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Empty(t, hdr.Get("WWW-Authenticate"))
	code, hdr, _ = a.do(t, nil, nil, "POST", "/v1/eval", map[string]any{"code": "1"})
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.NotEmpty(t, hdr.Get("WWW-Authenticate"), "other clients are challenged")
	for _, f := range []string{"/console/console.js", "/console/console.css"} {
		code, _, _ := a.do(t, nil, nil, "GET", f, nil)
		assert.Equal(t, http.StatusOK, code, f)
	}
}

// chromiumPath finds Debian's chromium (scripts/install-deps.sh installs it).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium in PATH (scripts/install-deps.sh installs it)")
	}
	t.Skip("no chromium in PATH (scripts/install-deps.sh installs it)")
	return ""
}

// screenshotDir is where the browser test keeps its screenshots:
// $RWARDEN_ARTIFACTS/browser when set (CI keeps that folder), otherwise a
// new temporary folder. The test prints it.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("RWARDEN_ARTIFACTS")
	var err error
	if dir != "" {
		dir = filepath.Join(dir, "browser")
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "rwarden-browser-")
	}
	require.NoError(t, err)
	fmt.Fprintf(os.Stderr, "browser test screenshots: %s\n", dir)
	t.Logf("screenshots: %s", dir)
	return dir
}

// TestConsoleBrowser drives the console in headless Chromium over the
// DevTools protocol against a real server (TLS, real R): sign in, watch a
// loop's lines arrive while it still runs, draw a plot, meet a denial.
func TestConsoleBrowser(t *testing.T) {
	exe := chromiumPath(t)
	a := startAPI(t, func(cfg *config.Config) {
		require.NoError(t, auth.AddUser(cfg.UsersFile, "admin", []byte(adminPassword), cheapArgon))
	})
	dir := screenshotDir(t)

	ctx := startBrowser(t, exe)

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		})
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		require.NoError(t, err)
		return s
	}
	runCode := func(code string) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("code"), code),
			chromedp.Click(chromedp.ID("run")),
		))
	}
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond),
			chromedp.WithPollingTimeout(time.Minute))
	}
	waitIdle := func() {
		require.NoError(t, chromedp.Do(ctx, poll(`document.getElementById("status").textContent === "idle"`)))
	}

	// A wrong password is refused on the page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("user"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(chromedp.ID("signin")),
		poll(`document.getElementById("login-error").textContent !== ""`),
		shot("0-login-refused"),
	))
	assert.Contains(t, text("#login-error"), "Sign-in failed")
	time.Sleep(1500 * time.Millisecond) // the failed-login limiter's delay

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("code")),
		shot("1-signed-in"),
	))
	assert.Equal(t, "alice", text("#who"))
	// alice is no admin: no audit view offered.
	require.NoError(t, chromedp.Do(ctx, poll(`document.getElementById("show-audit").dataset.allowed !== undefined`)))
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("show-audit").hidden`))
	require.NoError(t, err)
	assert.True(t, hidden, "no audit view for a user without role:admin")

	// Record Content-Security-Policy violations and script errors from
	// here on; at the end there must be none but the two provoked below.
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		window.rwardenProblems = [];
		document.addEventListener("securitypolicyviolation", (e) => window.rwardenProblems.push("csp " + e.effectiveDirective));
		window.addEventListener("error", (e) => window.rwardenProblems.push("error " + e.message));
		window.addEventListener("unhandledrejection", (e) => window.rwardenProblems.push("rejection " + e.reason));
	})()`)))
	problems := func() []string {
		p, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.rwardenProblems`))
		require.NoError(t, err)
		return p
	}

	t.Run("streamed output", func(t *testing.T) {
		runCode(`for (i in 1:4) { cat("tick", i, "\n"); Sys.sleep(1) }`)
		// The first line is on the page while the loop still runs.
		type pageState struct {
			Status string `json:"status"`
			Output string `json:"output"`
		}
		require.NoError(t, chromedp.Do(ctx, poll(`document.getElementById("transcript").textContent.includes("tick 1")`)))
		state, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](`({status: document.getElementById("status").textContent,
			output: document.getElementById("transcript").textContent})`))
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(ctx, shot("2-streaming")))
		assert.Equal(t, "running", state.Status, "the first line arrived before the evaluation ended")
		assert.NotContains(t, state.Output, "tick 4")
		waitIdle()
		assert.Contains(t, text("#transcript"), "tick 4")
	})

	t.Run("plot", func(t *testing.T) {
		runCode(`plot(1:10, main = "rwarden")`)
		require.NoError(t, chromedp.Do(ctx,
			poll(`(() => { const i = document.querySelector("img.plot"); return i !== null && i.complete && i.naturalWidth > 0; })()`)))
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("img.plot").naturalWidth`))
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(ctx, shot("3-plot")))
		assert.Greater(t, width, 100)
		waitIdle()
	})

	t.Run("denial", func(t *testing.T) {
		runCode("x <- 1\n  system(\"id\")")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(".violation")),
			shot("4-denied"),
		))
		v := text(".violation")
		assert.True(t, strings.HasPrefix(v, "2:3"), "line:col of the call: %q", v)
		assert.Contains(t, v, "base::system")
		assert.Contains(t, v, ".csv", "the rule names its policy file")
		waitIdle()
	})

	t.Run("strict CSP", func(t *testing.T) {
		assert.Empty(t, problems(), "the console ran without a CSP violation or script error")
		// An inline script and an image from elsewhere are both blocked.
		require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const s = document.createElement("script");
			s.textContent = "window.rwardenInline = 1";
			document.body.appendChild(s);
			const i = document.createElement("img");
			i.src = "https://203.0.113.1/x.png";
			document.body.appendChild(i);
		})()`)))
		require.NoError(t, chromedp.Do(ctx, poll(`window.rwardenProblems.length >= 2`)))
		assert.ElementsMatch(t, []string{"csp script-src-elem", "csp img-src"}, problems())
		ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.rwardenInline === 1`))
		require.NoError(t, err)
		assert.False(t, ran, "the inline script did not run")
		require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.rwardenProblems = []; document.querySelectorAll("body > img, body > script").forEach((e) => e.remove())`)))
	})

	t.Run("sign out", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("signout")),
			chromedp.WaitVisible(chromedp.ID("login")),
		))
		assert.Empty(t, text("#transcript"))
	})

	t.Run("audit view", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("user"), "admin"),
			chromedp.SetValue(chromedp.ID("password"), adminPassword),
			chromedp.Click(chromedp.ID("signin")),
			chromedp.WaitVisible(chromedp.ID("show-audit")),
			chromedp.Click(chromedp.ID("show-audit")),
			poll(`document.querySelectorAll("#audit-table tr.record").length > 0`),
		))
		assert.Contains(t, text("#chain"), "Hash chain intact")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("audit-user"), "alice"),
			chromedp.SetValue(chromedp.ID("audit-decision"), "denied"),
			chromedp.Click(chromedp.ID("audit-refresh")),
			poll(`[...document.querySelectorAll("#audit-table tr.record")].every((tr) => tr.children[3].textContent === "alice")`),
			shot("5-audit"),
		))
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
			`[...document.querySelectorAll("#audit-table tr.record")].map((tr) => [...tr.children].map((td) => td.textContent))`))
		require.NoError(t, err)
		require.NotEmpty(t, rows, "alice's denial of system() is in the trail")
		for _, r := range rows {
			assert.Equal(t, "alice", r[3])
			assert.Equal(t, "denied", r[4])
		}
		assert.Contains(t, rows[0][6], "base::system")
		assert.Empty(t, problems())
	})
}
