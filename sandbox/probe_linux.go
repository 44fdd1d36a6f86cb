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
			Detail: fmt.Sprintf("%d syscalls denied, clone without CLONE_THREAD denied, clone3 -> ENOSYS, foreign ABIs killed", len(deniedSyscalls))})
	}

	root := os.Geteuid() == 0
	rootDetail := "rwarden runs as root"
	if !root {
		rootDetail = "rwarden is not root: workers share its uid; Landlock scoping and seccomp keep them apart"
	}
	add(Protection{Name: "network namespace", Active: root, Detail: rootDetail})
	add(Protection{Name: "uid drop (one uid per worker)", Active: root, Detail: rootDetail})
	add(Protection{Name: "private scratch tmpfs (exact disk quota)", Active: root, Detail: rootDetail})
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
