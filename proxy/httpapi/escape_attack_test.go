package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShippedRoleEscapeAttacks: the runtime escapes found by the red team
// (sandbox/events_attack_test.go), tried by the shipped users through the
// real server: their policies and the guards must stop each before it
// prints the worker's environment (R_HOME).
func TestShippedRoleEscapeAttacks(t *testing.T) {
	a := startAPI(t, nil)
	for _, code := range []string{
		`for (f in as.list(as("package:base", "environment"))["Sys.getenv"]) cat(f("R_HOME"))`,
		`sapply(as.list(as("package:base", "environment"))["Sys.getenv"], function(f) cat(f("R_HOME")))`,
		`e <- as(1, "environment"); for (f in as.list(as("package:base", "environment"))["Sys.getenv"]) cat(f("R_HOME"))`,
		`dynGet("Sys.getenv", inherits = TRUE)("R_HOME")`,
		`with(environment(getOption("device")), cat(Sys.getenv("R_HOME")))`,
	} {
		for _, who := range []*creds{guest, alice} {
			t.Run(who.user+"/"+code, func(t *testing.T) {
				status, _, body := a.do(t, nil, who, "POST", "/v1/eval", map[string]any{"code": code})
				require.NotEqual(t, http.StatusInternalServerError, status, "%s", body)
				assert.NotContains(t, string(body), "/usr/lib/R", "the escape reached its target")
				r := decode(t, body)
				assert.NotEqual(t, "ok", r.Status, "%s", body)
				assert.False(t, strings.Contains(r.Console, "R_HOME") && r.Status == "ok")
			})
		}
	}
}
