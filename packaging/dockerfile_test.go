package packaging

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/setup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
}

// dockerInstructions are the instructions of the Dockerfile reference.
var dockerInstructions = []string{"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
	"HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}

// parseDockerfile splits a Dockerfile into instructions: comment lines
// dropped, lines ending in a backslash joined with the next.
func parseDockerfile(t *testing.T, text string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		cont := strings.HasSuffix(line, `\`)
		cur.WriteString(strings.TrimSuffix(line, `\`))
		if cont {
			cur.WriteString(" ")
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{line: start, cmd: cmd, args: strings.TrimSpace(args)})
		cur.Reset()
	}
	require.NoError(t, sc.Err())
	require.Zero(t, cur.Len(), "the Dockerfile ends inside a continued line")
	return out
}

// jsonForm decodes an exec-form (JSON array) argument.
func jsonForm(t *testing.T, in instruction) []string {
	t.Helper()
	var v []string
	require.NoError(t, json.Unmarshal([]byte(in.args), &v), "line %d: %s is not in exec (JSON) form", in.line, in.cmd)
	return v
}

// nfpmContents are the package's files: destination by source.
type nfpm struct {
	Depends  []string `yaml:"depends"`
	Contents []struct {
		Src  string `yaml:"src"`
		Dst  string `yaml:"dst"`
		Type string `yaml:"type"`
	} `yaml:"contents"`
}

func readNfpm(t *testing.T) nfpm {
	t.Helper()
	b, err := os.ReadFile("nfpm.yaml")
	require.NoError(t, err)
	var n nfpm
	require.NoError(t, yaml.Unmarshal(b, &n))
	return n
}

func (n nfpm) dst(src string) string {
	for _, c := range n.Contents {
		if c.Src == src {
			return c.Dst
		}
	}
	return ""
}

// The Dockerfile cannot be built here (no docker daemon): this test is its
// lint and its link to the Debian package, which is built and tested here.
// The image must have the package's paths and configuration, with one
// change (the listener's address), and that configuration must pass
// rwarden's own validation.
func TestDockerfileMatchesThePackage(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	ins := parseDockerfile(t, string(b))
	pkg := readNfpm(t)

	var stages []string
	var copies, runs []instruction
	var cmd, entrypoint, volume, expose *instruction
	for i, in := range ins {
		require.True(t, slices.Contains(dockerInstructions, in.cmd), "line %d: unknown instruction %q", in.line, in.cmd)
		require.NotEmpty(t, in.args, "line %d: %s without arguments", in.line, in.cmd)
		switch in.cmd {
		case "FROM":
			f := strings.Fields(in.args)
			assert.True(t, strings.HasPrefix(f[0], "debian:bookworm"), "line %d: the image is Debian bookworm, as the package", in.line)
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stages = append(stages, f[2])
			} else {
				stages = append(stages, "")
			}
		case "COPY":
			copies = append(copies, in)
		case "RUN":
			runs = append(runs, in)
		case "CMD":
			cmd = &ins[i]
		case "ENTRYPOINT":
			entrypoint = &ins[i]
		case "VOLUME":
			volume = &ins[i]
		case "EXPOSE":
			expose = &ins[i]
		}
	}
	require.Equal(t, []string{"build", ""}, stages, "a build stage and the runtime stage")
	require.NotNil(t, cmd)
	require.NotNil(t, entrypoint)
	require.NotNil(t, volume)
	require.NotNil(t, expose)

	// COPY: sources from the build context exist in the repository; what
	// lands in the image lands where the package puts it.
	dests := map[string]string{} // source (repository path or build output) -> destination
	for _, in := range copies {
		f := strings.Fields(in.args)
		fromBuild := false
		if strings.HasPrefix(f[0], "--from=") {
			require.Equal(t, "--from=build", f[0], "line %d", in.line)
			fromBuild = true
			f = f[1:]
		}
		require.GreaterOrEqual(t, len(f), 2, "line %d: COPY needs a source and a destination", in.line)
		dst := f[len(f)-1]
		for _, src := range f[:len(f)-1] {
			if fromBuild {
				src = strings.TrimPrefix(src, "/src/")
			} else if src != "." {
				_, err := os.Stat(filepath.Join("..", src))
				assert.NoError(t, err, "line %d: COPY source %s is not in the repository", in.line, src)
			}
			d := dst
			if strings.HasSuffix(dst, "/") && !strings.HasSuffix(src, "/") {
				d = dst + path.Base(src)
			}
			dests[src] = d
		}
	}
	for _, src := range []string{"bin/rwarden", "bin/rwarden_fork.so", "packaging/rwarden.yaml", "policies/model.conf", "policies/README.md"} {
		require.NotEmpty(t, pkg.dst(src), "nfpm.yaml installs no %s", src)
		assert.Equal(t, pkg.dst(src), dests[src], "%s: the image and the package put it in different places", src)
	}
	for _, dir := range []string{"roles", "users"} {
		assert.Equal(t, pkg.dst("policies/"+dir+"/*.csv"), dests["policies/"+dir+"/"], "policies/%s", dir)
	}
	all := strings.Join(func() []string {
		var s []string
		for _, r := range runs {
			s = append(s, r.args)
		}
		return s
	}(), "\n")
	// /usr/bin/rwarden is the package's symbolic link to the binary.
	assert.Contains(t, all, "ln -s "+pkg.dst("bin/rwarden")+" "+"/usr/bin/rwarden")
	// The runtime stage installs what the package depends on (libc6 and
	// passwd are in every Debian image).
	for _, dep := range pkg.Depends {
		if dep == "libc6" || dep == "passwd" {
			continue
		}
		assert.Contains(t, all, " "+dep+" ", "the image does not install the package's dependency %s", dep)
	}

	// The configuration: the package's, with the listener on 0.0.0.0 so
	// that a published port reaches it. The RUN applies one sed expression;
	// apply it here and validate the result as rwarden does.
	pkgCfg, err := os.ReadFile("rwarden.yaml")
	require.NoError(t, err)
	const from, to = `  - address: "127.0.0.1:9443"`, `  - address: "0.0.0.0:9443"`
	assert.Contains(t, all, `sed -i 's/^`+from+`/`+to+`/' `+pkg.dst("packaging/rwarden.yaml"))
	require.Equal(t, 1, strings.Count(string(pkgCfg), "\n"+from+"\n"), "the sed expression matches the packaged configuration once")
	imageCfg := strings.Replace(string(pkgCfg), "\n"+from+"\n", "\n"+to+"\n", 1)
	cfg, err := config.Parse([]byte(imageCfg), "the image's rwarden.yaml", "/etc/rwarden", core.CheckConfig)
	require.NoError(t, err)
	require.Len(t, cfg.Listeners, 1)
	l := cfg.Listeners[0]
	assert.True(t, l.TLS.Enabled(), "a listener on every address serves TLS")
	assert.Equal(t, []string{"9443"}, strings.Fields(expose.args))
	assert.True(t, strings.HasSuffix(l.Address, ":9443"))

	// CMD serves that configuration; the entry point is the image's.
	assert.Equal(t, []string{"serve", "--config", pkg.dst("packaging/rwarden.yaml")}, jsonForm(t, *cmd))
	ep := jsonForm(t, *entrypoint)
	require.Len(t, ep, 1)
	assert.Equal(t, ep[0], dests["packaging/docker-entrypoint.sh"])

	// The volumes hold the state (users file, audit trail) and the PKI the
	// configuration names, which the entry point creates with the names
	// `rwarden pki dev` gives its files.
	vols := jsonForm(t, *volume)
	assert.Contains(t, vols, cfg.StateDir)
	assert.Equal(t, cfg.StateDir, path.Dir(cfg.UsersFile))
	assert.Equal(t, cfg.StateDir, path.Dir(cfg.Audit.File))
	pkiDir := path.Dir(l.TLS.Cert)
	assert.Contains(t, vols, pkiDir)
	dev, err := setup.EnsureDevPKI(t.TempDir())
	require.NoError(t, err)
	for file, want := range map[string]string{l.TLS.Cert: dev.ServerCertPath, l.TLS.Key: dev.ServerKeyPath, l.TLS.ClientCA: dev.CACertPath} {
		assert.Equal(t, pkiDir, path.Dir(file))
		assert.Equal(t, filepath.Base(want), path.Base(file))
	}
	entry, err := os.ReadFile("docker-entrypoint.sh")
	require.NoError(t, err)
	assert.Contains(t, string(entry), "/usr/bin/rwarden pki dev "+pkiDir)
	assert.Contains(t, string(entry), cfg.UsersFile)
}
