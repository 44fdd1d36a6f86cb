package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type plotRef struct{ PNG, SVG string }

func plotsOf(t *testing.T, body []byte) []plotRef {
	t.Helper()
	var r struct{ Plots []plotRef }
	require.NoError(t, json.Unmarshal(body, &r), "%s", body)
	return r.Plots
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// TestPlots: plots are captured as PNG and SVG by the worker, inline for
// a one-shot evaluation and by URL in a session, with real R.
func TestPlots(t *testing.T) {
	a := startAPI(t, nil)

	t.Run("one-shot inline", func(t *testing.T) {
		code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "plot(1:10, main = 'hello')"})
		require.Equal(t, 200, code, "%s", body)
		ps := plotsOf(t, body)
		require.Len(t, ps, 1)
		png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ps[0].PNG, "data:image/png;base64,"))
		require.NoError(t, err)
		assert.True(t, bytes.HasPrefix(png, pngMagic), "a PNG")
		svg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ps[0].SVG, "data:image/svg+xml;base64,"))
		require.NoError(t, err)
		assert.Contains(t, string(svg), "<svg")
	})

	t.Run("own device", func(t *testing.T) {
		// Drawn on a device of its own: not captured; no capture device
		// was opened, so closing it leaves the null device, as at R's
		// console.
		code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{
			"code": "png(file.path(tempdir(), 'own.png')); plot(1:3); dev.off()"})
		require.Equal(t, 200, code, "%s", body)
		assert.Empty(t, plotsOf(t, body))
		assert.Regexp(t, `^null device \n\s*1 \n$`, decode(t, body).Console)
	})

	t.Run("no plot, no plots", func(t *testing.T) {
		code, _, body := a.do(t, nil, alice, "POST", "/v1/eval", map[string]any{"code": "1"})
		require.Equal(t, 200, code)
		assert.Empty(t, plotsOf(t, body))
	})

	t.Run("denied plotting", func(t *testing.T) {
		code, _, body := a.do(t, nil, guest, "POST", "/v1/eval", map[string]any{"code": "plot(1:3)"})
		assert.Equal(t, http.StatusForbidden, code, "%s", body)
	})

	t.Run("session URLs", func(t *testing.T) {
		code, _, body := a.do(t, nil, alice, "POST", "/v1/sessions", nil)
		require.Equal(t, http.StatusCreated, code)
		var s struct{ ID string }
		require.NoError(t, json.Unmarshal(body, &s))
		path := "/v1/sessions/" + s.ID

		// Two pages in two expressions are two plots; lines() on the same
		// page extends the plot before it.
		code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{
			"code": "plot(1:3)\nlines(3:1)\nhist(c(1, 2, 2, 3))"})
		require.Equal(t, 200, code, "%s", body)
		ps := plotsOf(t, body)
		require.Len(t, ps, 2)
		assert.Equal(t, path+"/plots/1.png", ps[0].PNG)
		assert.Equal(t, path+"/plots/2.svg", ps[1].SVG)

		code, hdr, img := a.do(t, nil, alice, "GET", ps[0].PNG, nil)
		require.Equal(t, 200, code)
		assert.Equal(t, "image/png", hdr.Get("Content-Type"))
		assert.True(t, bytes.HasPrefix(img, pngMagic))
		code, hdr, img = a.do(t, nil, alice, "GET", ps[1].SVG, nil)
		require.Equal(t, 200, code)
		assert.Equal(t, "image/svg+xml", hdr.Get("Content-Type"))
		assert.Contains(t, hdr.Get("Content-Security-Policy"), "default-src 'none'")
		assert.Contains(t, string(img), "<svg")

		// Numbers go on across evaluations.
		code, _, body = a.do(t, nil, alice, "POST", path+"/eval", map[string]any{"code": "barplot(1:3)"})
		require.Equal(t, 200, code, "%s", body)
		ps = plotsOf(t, body)
		require.Len(t, ps, 1)
		assert.Equal(t, path+"/plots/3.png", ps[0].PNG)

		for _, bad := range []string{"/plots/9.png", "/plots/1.gif", "/plots/01.png", "/plots/x.png", "/plots/0.svg"} {
			code, _, _ = a.do(t, nil, alice, "GET", path+bad, nil)
			assert.Equal(t, http.StatusNotFound, code, bad)
		}
		code, _, _ = a.do(t, nil, guest, "GET", path+"/plots/1.png", nil)
		assert.Equal(t, http.StatusNotFound, code, "another user's plot")
	})
}
