package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Protection is one protection layer and whether this host provides it.
type Protection struct {
	Name     string
	Active   bool
	Required bool
	// RootOnly: the protection needs rwarden to run as root (namespaces,
	// mounts, uid drop); without root it is inactive and Detail says what
	// holds instead.
	RootOnly bool
	Detail   string
}

// ProbeReport lists the protections rwarden can apply on this host.
type ProbeReport struct {
	Protections []Protection
}

// Probe inspects the host: Landlock ABI, seccomp, namespaces, uid drop and R.
func Probe(rHome string) ProbeReport {
	var r ProbeReport
	add := func(p Protection) { r.Protections = append(r.Protections, p) }

	abi := landlockABI()
	add(Protection{Name: "landlock filesystem", Required: true, Active: abi >= minLandlockABI,
		Detail: fmt.Sprintf("Landlock ABI %d", abi)})
	add(Protection{Name: "landlock network (no TCP bind/connect)", Active: abi >= 4,
		Detail: abiNeed(abi, 4, "sockets are still denied by seccomp")})
	add(Protection{Name: "landlock scoped signals and abstract sockets", Active: abi >= 6,
		Detail: abiNeed(abi, 6, "workers could signal same-uid processes")})

	if err := seccompAvailable(); err != nil {
		add(Protection{Name: "seccomp filter", Required: true, Detail: err.Error()})
	} else if _, err := buildSeccompFilter(); err != nil {
		add(Protection{Name: "seccomp filter", Required: true, Detail: err.Error()})
	} else {
		add(Protection{Name: "seccomp filter", Required: true, Active: true,
			Detail: fmt.Sprintf("%d syscalls denied, clone without CLONE_THREAD or with namespace flags denied, clone3 -> ENOSYS, foreign ABIs killed", len(deniedSyscalls))})
	}
	seccompOK := seccompAvailable() == nil
	add(Protection{Name: "W^X: no new executable memory (seccomp)", Active: seccompOK,
		Detail: "mprotect/pkey_mprotect to PROT_EXEC, anonymous executable and writable+executable mmap, memfd_create, personality, remap_file_pages denied; shared objects still load from their files"})
	mdwe := "kernel has no PR_SET_MDWE (Linux 6.3+); the seccomp rules above hold alone"
	if mdweSupported() {
		mdwe = "PR_MDWE_REFUSE_EXEC_GAIN: a second layer under the seccomp rules"
	}
	add(Protection{Name: "kernel W^X (memory-deny-write-execute)", Active: mdweSupported(), Detail: mdwe})
	add(Protection{Name: "no System V or POSIX IPC (seccomp)", Active: seccompOK,
		Detail: "shm*, sem*, msg*, mq_* denied: nothing outlives a session or is shared between workers"})
	add(Protection{Name: "no inotify/fanotify watches (seccomp)", Active: seccompOK})

	root := os.Geteuid() == 0
	userns := rootlessSupported()
	// rootOnly: needs root. namespaced: needs root, or without root an
	// unprivileged user namespace (rootless_linux.go).
	rootOnly := func(name, unprivileged string) {
		d := "rwarden runs as root"
		if !root {
			d = "rwarden is not root: " + unprivileged
		}
		add(Protection{Name: name, Active: root, RootOnly: true, Detail: d})
	}
	namespaced := func(name, without string) {
		switch {
		case root:
			add(Protection{Name: name, Active: true, Detail: "rwarden runs as root"})
		case userns:
			add(Protection{Name: name, Active: true, Detail: "rwarden is not root: in an unprivileged user namespace of the worker's own" +
				" (a forked session is in the template's, with a user, mount and IPC namespace of its own inside it and no capabilities left)"})
		default:
			add(Protection{Name: name, RootOnly: true,
				Detail: "rwarden is not root and this host refuses unprivileged user namespaces: " + without})
		}
	}
	namespaced("network namespace", "no own network stack; seccomp denies every socket and Landlock (ABI 4) TCP")
	namespaced("IPC namespace", "seccomp denies every System V and POSIX IPC call instead")
	rootOnly("uid drop (one uid per worker)", "workers share its uid; Landlock scoping and seccomp keep them apart")
	scratchWithout := "RLIMIT_FSIZE and a usage check by rwarden bound the scratch directory"
	if userns {
		scratchWithout = "forked sessions mount their own tmpfs in their user namespace (exact quota); in a worker started cold (no template), " + scratchWithout
	}
	rootOnly("private scratch tmpfs (exact disk quota)", scratchWithout)
	namespaced("minimal filesystem view (pivot_root: rwarden's files and other workers' scratch do not exist, not even for stat)",
		"Landlock denies reading, listing and writing outside the worker's trees, but stat() of any existing path (rwarden's files, other workers' scratch and /proc entries) succeeds")
	rootOnly("private /proc (other processes invisible)", "/proc/PID of rwarden and other workers exists for stat(); Landlock denies reading it")
	namespaced("noexec scratch (files a worker writes cannot be mapped as code)",
		"NOT CLOSED: native code can write a file to its scratch directory and map it executable (seccomp cannot see a mapping's file; Landlock does not govern mmap); loading native code at all needs dyn.load, which policies deny")
	add(Protection{Name: "rlimits (memory, CPU, file size, files, processes, core)", Active: true, Required: true})

	if _, err := findRLayout(rHome); err != nil {
		add(Protection{Name: "R installation", Required: true, Detail: err.Error()})
	} else {
		add(Protection{Name: "R installation", Required: true, Active: true, Detail: rHome})
	}
	return r
}

func abiNeed(abi, need int, otherwise string) string {
	if abi >= need {
		return fmt.Sprintf("Landlock ABI %d >= %d", abi, need)
	}
	return fmt.Sprintf("needs Landlock ABI %d, have %d; %s", need, abi, otherwise)
}

// Required returns an error naming every required protection that is missing.
func (r ProbeReport) Required() error {
	var missing []string
	for _, p := range r.Protections {
		if p.Required && !p.Active {
			missing = append(missing, p.Name+" ("+p.Detail+")")
		}
	}
	if len(missing) > 0 {
		return errors.New("missing required protection: " + strings.Join(missing, "; "))
	}
	return nil
}
