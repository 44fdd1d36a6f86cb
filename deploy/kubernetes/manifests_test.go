package kubernetes

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// manifests are the files of this directory, each one object.
type manifests struct {
	deployment appsv1.Deployment
	service    corev1.Service
	configMap  corev1.ConfigMap
	tlsSecret  corev1.Secret
	users      corev1.Secret
	pvc        corev1.PersistentVolumeClaim
}

// decodeStrict decodes one manifest as the API server's strict field
// validation would: unknown and duplicate fields are errors.
func decodeStrict(t *testing.T, file string, into any) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(b, into), file)
}

func load(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{}
	files := map[string]any{
		"deployment.yaml":   &m.deployment,
		"service.yaml":      &m.service,
		"configmap.yaml":    &m.configMap,
		"secret-tls.yaml":   &m.tlsSecret,
		"secret-users.yaml": &m.users,
		"pvc.yaml":          &m.pvc,
	}
	// Every manifest here is checked: a new file needs a place above.
	found, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	var want []string
	for f := range files {
		want = append(want, f)
	}
	assert.ElementsMatch(t, want, found, "manifests in deploy/kubernetes")
	for f, into := range files {
		decodeStrict(t, f, into)
	}
	for _, c := range []struct{ file, apiVersion, kind, gotVersion, gotKind string }{
		{"deployment.yaml", "apps/v1", "Deployment", m.deployment.APIVersion, m.deployment.Kind},
		{"service.yaml", "v1", "Service", m.service.APIVersion, m.service.Kind},
		{"configmap.yaml", "v1", "ConfigMap", m.configMap.APIVersion, m.configMap.Kind},
		{"secret-tls.yaml", "v1", "Secret", m.tlsSecret.APIVersion, m.tlsSecret.Kind},
		{"secret-users.yaml", "v1", "Secret", m.users.APIVersion, m.users.Kind},
		{"pvc.yaml", "v1", "PersistentVolumeClaim", m.pvc.APIVersion, m.pvc.Kind},
	} {
		assert.Equal(t, c.apiVersion, c.gotVersion, c.file)
		assert.Equal(t, c.kind, c.gotKind, c.file)
	}
	return m
}

// The strict decoding the other tests rely on refuses what the API server
// would: a misspelt field, a duplicate, a wrong type.
func TestStrictDecodingRefuses(t *testing.T) {
	base, err := os.ReadFile("service.yaml")
	require.NoError(t, err)
	for _, tc := range []struct{ name, old, new string }{
		{"unknown field", "  type: ClusterIP\n", "  type: ClusterIP\n  sessionAfinity: None\n"},
		{"duplicate field", "  type: ClusterIP\n", "  type: ClusterIP\n  type: NodePort\n"},
		{"wrong type", "      port: 9443\n", "      port: \"nine\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(base), tc.old, tc.new, 1)
			require.NotEqual(t, string(base), bad, "the case did not change the manifest")
			var s corev1.Service
			assert.Error(t, yaml.UnmarshalStrict([]byte(bad), &s))
		})
	}
}

// rwardenConfig is the ConfigMap's configuration, through rwarden's own
// validation (what `rwarden config check` runs before the checks that need
// the files themselves).
func rwardenConfig(t *testing.T, m *manifests) *config.Config {
	t.Helper()
	data, ok := m.configMap.Data["rwarden.yaml"]
	require.True(t, ok, "the ConfigMap has no rwarden.yaml")
	cfg, err := config.Parse([]byte(data), "configmap.yaml:rwarden.yaml", "/etc/rwarden", core.CheckConfig)
	require.NoError(t, err)
	return cfg
}

func container(t *testing.T, m *manifests) corev1.Container {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	require.Len(t, cs, 1)
	return cs[0]
}

func portNamed(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("no container port named %q", name)
	return 0
}

func addrPort(t *testing.T, addr string) int32 {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	require.Positive(t, i, addr)
	p, err := strconv.ParseInt(addr[i+1:], 10, 32)
	require.NoError(t, err, addr)
	return int32(p)
}

// The ports the pod declares, the Service targets and the probes ask are
// the ones rwarden's configuration listens on.
func TestPortsMatchTheConfiguration(t *testing.T) {
	m := load(t)
	cfg := rwardenConfig(t, m)
	c := container(t, m)

	require.Len(t, cfg.Listeners, 1)
	l := cfg.Listeners[0]
	assert.Equal(t, "framed", l.Protocol)
	assert.True(t, l.TLS.Enabled(), "the listener is reachable from the cluster: TLS")
	assert.False(t, config.IsLoopbackOrUnix(l.Address), "a pod listener on loopback is unreachable: %s", l.Address)
	assert.Equal(t, addrPort(t, l.Address), portNamed(t, c, "framed"))
	assert.Equal(t, addrPort(t, cfg.Admin.Address), portNamed(t, c, "admin"))
	assert.Len(t, c.Ports, 2, "a port the configuration does not listen on")

	svc := m.service.Spec
	require.Len(t, svc.Ports, 1, "only the framed listener is exposed")
	assert.Equal(t, "framed", svc.Ports[0].TargetPort.String())
	assert.Equal(t, addrPort(t, l.Address), svc.Ports[0].Port)
	assert.Equal(t, corev1.ServiceTypeClusterIP, svc.Type)
	assert.Equal(t, m.deployment.Spec.Template.Labels, svc.Selector)
	assert.Equal(t, m.deployment.Spec.Selector.MatchLabels, m.deployment.Spec.Template.Labels)

	// The probes reach /healthz on the admin listener, which serves TLS.
	require.True(t, cfg.Admin.TLS.Enabled())
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		require.NotNil(t, p, name)
		require.NotNil(t, p.HTTPGet, name)
		assert.Equal(t, "/healthz", p.HTTPGet.Path, name)
		assert.Equal(t, "admin", p.HTTPGet.Port.String(), name)
		assert.Equal(t, corev1.URISchemeHTTPS, p.HTTPGet.Scheme, name)
	}
}

// mountOf finds the volume mount whose path holds file and the volume it
// mounts.
func mountOf(t *testing.T, m *manifests, file string) (corev1.VolumeMount, corev1.Volume) {
	t.Helper()
	c := container(t, m)
	var best corev1.VolumeMount
	for _, vm := range c.VolumeMounts {
		if (file == vm.MountPath || strings.HasPrefix(file, vm.MountPath+"/")) && len(vm.MountPath) > len(best.MountPath) {
			best = vm
		}
	}
	require.NotEmpty(t, best.Name, "no volume mount holds %s", file)
	for _, v := range m.deployment.Spec.Template.Spec.Volumes {
		if v.Name == best.Name {
			return best, v
		}
	}
	t.Fatalf("volume mount %s names no volume", best.Name)
	return best, corev1.Volume{}
}

// Every file the configuration names comes from the object meant for it:
// the certificates and keys from the TLS Secret, the users file from its
// Secret, the configuration itself from the ConfigMap, the state directory
// from the claim.
func TestFilesComeFromTheirObjects(t *testing.T) {
	m := load(t)
	cfg := rwardenConfig(t, m)
	c := container(t, m)

	inSecret := func(file string, s corev1.Secret) {
		t.Helper()
		vm, v := mountOf(t, m, file)
		require.NotNil(t, v.Secret, "%s is not from a Secret", file)
		assert.Equal(t, s.Name, v.Secret.SecretName, file)
		assert.True(t, vm.ReadOnly, file)
		key := strings.TrimPrefix(file, vm.MountPath+"/")
		_, has := s.Data[key]
		assert.True(t, has, "Secret %s has no key %s (for %s)", s.Name, key, file)
		require.NotNil(t, v.Secret.DefaultMode)
		assert.Zero(t, *v.Secret.DefaultMode&0o077, "%s readable by others than its owner", file)
	}
	l := cfg.Listeners[0]
	for _, f := range []string{l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA, cfg.Admin.TLS.Cert, cfg.Admin.TLS.Key, cfg.Admin.TLS.ClientCA} {
		inSecret(f, m.tlsSecret)
	}
	assert.Equal(t, corev1.SecretTypeTLS, m.tlsSecret.Type)
	inSecret(cfg.UsersFile, m.users)

	// The configuration file rwarden is started with is the ConfigMap's.
	require.Equal(t, []string{"/usr/bin/rwarden"}, c.Command)
	i := slices.Index(c.Args, "--config")
	require.True(t, i >= 0 && i+1 < len(c.Args), "no --config in %v", c.Args)
	cfgPath := c.Args[i+1]
	vm, v := mountOf(t, m, cfgPath)
	require.NotNil(t, v.ConfigMap)
	assert.Equal(t, m.configMap.Name, v.ConfigMap.Name)
	assert.Equal(t, cfgPath, vm.MountPath)
	assert.Equal(t, "rwarden.yaml", vm.SubPath)

	// State, audit trail: on the claim, writable.
	for _, f := range []string{cfg.StateDir, cfg.Audit.File} {
		vm, v := mountOf(t, m, f)
		require.NotNil(t, v.PersistentVolumeClaim, "%s is not on the claim", f)
		assert.Equal(t, m.pvc.Name, v.PersistentVolumeClaim.ClaimName)
		assert.False(t, vm.ReadOnly, f)
	}
	// One writer of the audit chain: one replica, never two pods at once.
	require.NotNil(t, m.deployment.Spec.Replicas)
	assert.EqualValues(t, 1, *m.deployment.Spec.Replicas)
	assert.Equal(t, appsv1.RecreateDeploymentStrategyType, m.deployment.Spec.Strategy.Type)
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, m.pvc.Spec.AccessModes)

	// The policies are the image's (packaging/Dockerfile copies them there).
	df := dockerfile(t)
	assert.Contains(t, df, "/etc/rwarden/policies/", "the image has no policies where the configuration says")
	assert.Equal(t, "/etc/rwarden/policies", cfg.PoliciesDir)
}

// unitCapabilities reads the systemd unit's CapabilityBoundingSet: what the
// sandbox was found to need (docs/operations.md) and what deb-test.sh runs
// rwarden with.
func unitCapabilities(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../packaging/rwarden.service")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapabilityBoundingSet="); ok {
			var caps []string
			for _, c := range strings.Fields(v) {
				caps = append(caps, strings.TrimPrefix(c, "CAP_"))
			}
			return caps
		}
	}
	require.NoError(t, sc.Err())
	t.Fatal("the unit has no CapabilityBoundingSet")
	return nil
}

// The securityContext is the unit's confinement in Kubernetes terms, as
// deployment.yaml's comment explains setting by setting.
func TestSecurityContextAsTheUnit(t *testing.T) {
	m := load(t)
	c := container(t, m)
	pod := m.deployment.Spec.Template.Spec
	sc := c.SecurityContext
	require.NotNil(t, sc)

	require.NotNil(t, sc.RunAsUser)
	assert.EqualValues(t, 0, *sc.RunAsUser, "the sandbox gives workers uids of their own: root")
	require.NotNil(t, sc.Privileged)
	assert.False(t, *sc.Privileged)
	require.NotNil(t, sc.AllowPrivilegeEscalation)
	assert.False(t, *sc.AllowPrivilegeEscalation, "no_new_privs, as the unit's NoNewPrivileges=yes")
	require.NotNil(t, sc.ReadOnlyRootFilesystem)
	assert.True(t, *sc.ReadOnlyRootFilesystem)

	require.NotNil(t, sc.Capabilities)
	assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	var added []string
	for _, a := range sc.Capabilities.Add {
		// The API server refuses allowPrivilegeEscalation false with a
		// capability spelt CAP_SYS_ADMIN; Kubernetes names them bare.
		assert.False(t, strings.HasPrefix(string(a), "CAP_"), "capability %s: name it without CAP_", a)
		added = append(added, string(a))
	}
	assert.ElementsMatch(t, unitCapabilities(t), added, "the capabilities differ from the unit's bounding set")

	require.NotNil(t, sc.SeccompProfile)
	assert.Equal(t, corev1.SeccompProfileTypeUnconfined, sc.SeccompProfile.Type)
	require.NotNil(t, sc.AppArmorProfile)
	assert.Equal(t, corev1.AppArmorProfileTypeUnconfined, sc.AppArmorProfile.Type)
	assert.Nil(t, sc.ProcMount, "the default (masked) /proc")

	require.NotNil(t, pod.AutomountServiceAccountToken)
	assert.False(t, *pod.AutomountServiceAccountToken)
	assert.False(t, pod.HostNetwork || pod.HostPID || pod.HostIPC)
	// Only /tmp, memory-backed and small, and the state claim are writable.
	for _, vm := range c.VolumeMounts {
		if vm.ReadOnly {
			continue
		}
		_, v := mountOf(t, m, vm.MountPath)
		switch {
		case v.PersistentVolumeClaim != nil:
		case v.EmptyDir != nil:
			assert.Equal(t, "/tmp", vm.MountPath)
			assert.Equal(t, corev1.StorageMediumMemory, v.EmptyDir.Medium)
			assert.NotNil(t, v.EmptyDir.SizeLimit)
		default:
			t.Errorf("writable mount %s of volume %s", vm.MountPath, vm.Name)
		}
	}
}

// Shutdown and memory: the kubelet's SIGKILL comes after rwarden's grace
// period, and the pool's memory budget stays below the container's limit
// (the default budget is a share of the node's memory, not the pod's).
func TestLimitsFitTheConfiguration(t *testing.T) {
	m := load(t)
	cfg := rwardenConfig(t, m)
	c := container(t, m)
	pod := m.deployment.Spec.Template.Spec

	require.NotNil(t, pod.TerminationGracePeriodSeconds)
	assert.Greater(t, *pod.TerminationGracePeriodSeconds, int64(cfg.ShutdownGrace.Std().Seconds()))

	limit, ok := c.Resources.Limits[corev1.ResourceMemory]
	require.True(t, ok, "no memory limit")
	require.NotZero(t, cfg.Pool.MemoryBudget, "pool.memory_budget unset: its default follows the node's memory")
	assert.Less(t, int64(cfg.Pool.MemoryBudget), limit.Value())
}

// dockerfile is packaging/Dockerfile's text.
func dockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../packaging/Dockerfile")
	require.NoError(t, err)
	return string(b)
}

// The Deployment runs the image that `make docker` builds, as it was built:
// its tag is the version, and the paths the pod mounts over are the image's.
func TestImageIsTheProjects(t *testing.T) {
	m := load(t)
	c := container(t, m)
	cfg := rwardenConfig(t, m)

	changelog, err := os.ReadFile("../../CHANGELOG.md")
	require.NoError(t, err)
	v := regexp.MustCompile(`(?m)^## \[([0-9][^]]*)\]`).FindSubmatch(changelog)
	require.NotNil(t, v, "no version heading in CHANGELOG.md")
	assert.Equal(t, "rwarden:"+string(v[1]), c.Image)

	df := dockerfile(t)
	// make docker tags rwarden:$(VERSION).
	mk, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	assert.Contains(t, string(mk), "-t rwarden:$(VERSION)")
	// The image's volumes are where the pod mounts the state and the PKI.
	assert.Contains(t, df, `VOLUME ["/var/lib/rwarden", "/etc/rwarden/pki"]`)
	assert.Equal(t, "/var/lib/rwarden", cfg.StateDir)
	assert.Equal(t, "/etc/rwarden/pki", path.Dir(cfg.Listeners[0].TLS.Cert))
	assert.Contains(t, df, `CMD ["serve", "--config", "/etc/rwarden/rwarden.yaml"]`)
	assert.Equal(t, []string{"serve", "--config", "/etc/rwarden/rwarden.yaml"}, c.Args)
	assert.Contains(t, df, "ln -s /usr/lib/rwarden/rwarden /usr/bin/rwarden")
	assert.Contains(t, df, "EXPOSE "+strconv.Itoa(int(addrPort(t, cfg.Listeners[0].Address))))
	assert.Equal(t, "/usr/lib/R", cfg.Pool.RHome)
}
