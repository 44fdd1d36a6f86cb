package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rwarden/rwarden/internal/units"
	"gopkg.in/yaml.v3"
)

// Size is a byte count. In YAML it is a plain integer (bytes) or an integer
// with a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB
// (powers of 1000), for example "64KiB", "512MiB", "1GiB".
type Size int64

// ParseSize parses a size such as "1GiB", "512MiB", "64KiB", "1000" or "10MB"
// (see units.ParseBytes).
func ParseSize(s string) (Size, error) {
	n, err := units.ParseBytes(s)
	return Size(n), err
}

// String renders the size with the largest binary unit that divides it.
func (s Size) String() string { return units.FormatBytes(int64(s)) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as 512MiB, got a %s", kindName(n))
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalYAML writes the size with its unit.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// Duration is a time.Duration written in YAML as "30s", "10m", "1h30m".
// A bare 0 is accepted; any other number needs a unit.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 30s, got a %s", kindName(n))
	}
	if n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(n.Value, 64); nerr == nil {
			return fmt.Errorf("invalid duration %q: a unit is required, such as 30s or 10m", n.Value)
		}
		return fmt.Errorf("invalid duration %q: use a number with a unit, such as 500ms, 30s, 10m or 1h", n.Value)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// FileMode is a permission mode written in octal, with or without quotes:
// "0660", 0660 and "0o660" are all rw-rw----. Always read as octal, whatever
// YAML would otherwise make of a leading zero.
type FileMode os.FileMode

// Perm returns the mode as an os.FileMode.
func (m FileMode) Perm() os.FileMode { return os.FileMode(m) & os.ModePerm }

func (m FileMode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (m *FileMode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected an octal mode such as \"0660\", got a %s", kindName(n))
	}
	s := strings.TrimPrefix(strings.TrimPrefix(n.Value, "0o"), "0O")
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("invalid mode %q: use octal permission bits such as \"0660\"", n.Value)
	}
	*m = FileMode(v)
	return nil
}

// MarshalYAML writes the mode as an octal string.
func (m FileMode) MarshalYAML() (any, error) { return m.String(), nil }

// UIDRange is an inclusive range of numeric user ids, written "61000-61999".
type UIDRange struct {
	First, Last uint32
}

// Len is the number of ids in the range.
func (r UIDRange) Len() int { return int(r.Last-r.First) + 1 }

func (r UIDRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// ParseUIDRange parses "FIRST-LAST". Root (0) and the overflow id
// 4294967295 (-1) are never allowed.
func ParseUIDRange(s string) (UIDRange, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	first, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 32)
	last, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return UIDRange{}, fmt.Errorf("invalid uid range %q: use FIRST-LAST, such as 61000-61999", s)
	}
	if first == 0 || first > last || last >= 1<<32-1 {
		return UIDRange{}, fmt.Errorf("invalid uid range %q: need 1 <= FIRST <= LAST < 4294967295", s)
	}
	return UIDRange{First: uint32(first), Last: uint32(last)}, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *UIDRange) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a uid range such as \"61000-61999\", got a %s", kindName(n))
	}
	v, err := ParseUIDRange(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML writes the range as text.
func (r UIDRange) MarshalYAML() (any, error) { return r.String(), nil }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "value " + strconv.Quote(n.Value)
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}
