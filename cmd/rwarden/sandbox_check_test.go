package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `rwarden sandbox check` names each native-code measure, and says which
// need root and what holds without it.
func TestSandboxCheckReportsNativeMeasures(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sandbox.DefaultRHome, "bin", "exec", "R")); err != nil {
		t.Skip("R is not installed")
	}
	cmd := newSandboxCheckCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	require.NoError(t, cmd.Execute(), out.String())
	// stateOf returns the state word of the line whose name starts with
	// prefix ("" when no line does).
	stateOf := func(prefix string) string {
		for _, l := range strings.Split(out.String(), "\n") {
			state, rest, _ := strings.Cut(l, " ")
			if strings.HasPrefix(strings.TrimSpace(rest), prefix) {
				return state
			}
		}
		return ""
	}
	for _, name := range []string{
		"W^X: no new executable memory (seccomp)",
		"no System V or POSIX IPC (seccomp)",
		"no inotify/fanotify watches (seccomp)",
		"R's shared objects load under W^X (no executable stack, no text relocations)",
	} {
		assert.Equal(t, "active", stateOf(name), "%s\n%s", name, out.String())
	}
	rootState := "inactive"
	if os.Geteuid() == 0 {
		rootState = "active"
	}
	assert.Equal(t, rootState, stateOf("private /proc (other processes invisible) [root]"), out.String())
	// The view, noexec scratch and IPC namespace hold as root, and without
	// root where the host allows unprivileged user namespaces.
	for _, name := range []string{"IPC namespace", "minimal filesystem view (pivot_root", "noexec scratch ("} {
		state := stateOf(name)
		assert.NotEmpty(t, state, "%s not reported:\n%s", name, out.String())
		if os.Geteuid() == 0 || strings.Contains(out.String(), "unprivileged user namespace of the worker's own") {
			assert.Equal(t, "active", state, name)
		} else {
			assert.Equal(t, "inactive", state, name)
			assert.Contains(t, out.String(), "NOT CLOSED", "the unprivileged gap is stated")
		}
	}
	// Without root the scratch tmpfs is reported inactive, with what forked
	// sessions have where user namespaces are allowed.
	if os.Geteuid() != 0 && strings.Contains(out.String(), "unprivileged user namespace of the worker's own") {
		assert.Equal(t, "inactive", stateOf("private scratch tmpfs (exact disk quota) [root]"), out.String())
		assert.Contains(t, out.String(), "forked sessions mount their own tmpfs in their user namespace", out.String())
	}
}
